// The home page: sign out through the SDK, then back to the app's sign-in page.

import { signOut } from '/.passgate/sdk.js';
import { fail } from './ui.js';

document.getElementById('signout').addEventListener('click', async () => {
  try {
    await signOut();
    location.assign('/signin');
  } catch (err) {
    fail(err);
  }
});

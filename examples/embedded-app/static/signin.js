// The app's sign-in page: passkeys in the username field's autofill (conditional UI), a
// button for usernameless sign-in, and username first. `?rd=` is where to go afterwards.

import { authenticate, isConditionalMediationAvailable } from '/.passgate/sdk.js';
import { fail, say } from './ui.js';

const rd = new URLSearchParams(location.search).get('rd') || undefined;
const buttons = document.querySelectorAll('button');

const MESSAGES = {
  NotAllowed: 'No passkey was used: cancelled, timed out, or none on this device.',
  NotFound: 'This passkey is not registered any more.',
  RateLimited: 'Too many attempts; wait a minute.',
};

function busy(on) {
  for (const b of buttons) b.disabled = on;
}

async function signIn(options) {
  // Autofill waits in the background: the buttons stay usable meanwhile.
  const autofill = options.mediation === 'conditional';
  if (!autofill) {
    busy(true);
    say('Waiting for your passkey…');
  }
  try {
    const { redirectUrl, identity } = await authenticate({ ...options, rd });
    say(`Signed in as ${identity.username}.`);
    location.assign(redirectUrl);
  } catch (err) {
    // Autofill fails at once when this device has no passkey, and is aborted when a button
    // starts its own request: neither is worth a message.
    if (autofill && ['NotAllowed', 'Aborted'].includes(err.code)) return;
    if (!autofill) busy(false);
    if (err.code !== 'Aborted') fail(err, MESSAGES[err.code]);
  }
}

document.getElementById('signin').addEventListener('click', () => signIn({}));
document.getElementById('username-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const username = document.getElementById('username').value.trim();
  if (username) signIn({ username });
});

if (await isConditionalMediationAvailable()) signIn({ mediation: 'conditional' });

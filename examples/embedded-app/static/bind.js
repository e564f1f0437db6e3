// The app's enrolment page, where binding links lead (`/passkeys/bind?token=…`): creates
// the passkey with the SDK and signs in.

import { bindPasskey, isBindPasskeyUrl } from '/.passgate/sdk.js';
import { fail, say } from './ui.js';

const MESSAGES = {
  InvalidToken: 'This link is not valid: check you opened all of it.',
  Expired: 'This link was already used or has expired: ask for a new one.',
  Suspended: 'Your account is not active.',
  NotAllowed: 'No passkey was created (cancelled or timed out). Try again.',
  InvalidState: 'This device already holds a passkey for you.',
};

const button = document.getElementById('create');

if (!isBindPasskeyUrl(location.href)) {
  button.disabled = true;
  fail({ code: 'InvalidToken' }, MESSAGES.InvalidToken);
}

button.addEventListener('click', async () => {
  button.disabled = true;
  say('Waiting for your device…');
  try {
    const { identity, postBindingRedirectUri } = await bindPasskey(location.href);
    if (postBindingRedirectUri) {
      location.assign(postBindingRedirectUri);
      return;
    }
    document.getElementById('who').textContent = identity.username;
    document.getElementById('intro').hidden = true;
    document.getElementById('done').hidden = false;
    say('');
  } catch (err) {
    // A cancelled ceremony leaves the link usable; a used or unknown link does not.
    button.disabled = ['InvalidToken', 'Expired', 'Suspended'].includes(err.code);
    fail(err, MESSAGES[err.code]);
  }
});

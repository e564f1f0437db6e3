// The hosted sign-in page: usernameless sign-in with a button, browser autofill
// (conditional mediation) where supported, and a username-first path, all through the
// embedded SDK (/.passgate/sdk.js).

import { authenticate, isConditionalMediationAvailable } from '../sdk.js';

function explain(err) {
  switch (err.code) {
    case 'NotAllowed':
      return 'Sign-in was cancelled or timed out, or this device has no passkey for this site. You can try again.';
    case 'NotSupported':
      return 'This browser does not support passkeys.';
    case 'Security':
      return 'This browser cannot use a passkey on this address.';
    case 'NotFound':
      return 'This passkey is not recognised. It may have been removed; ask for a new one under "Lost your passkey?".';
    case 'Forbidden':
    case 'Suspended':
      return `${err.message} Contact your administrator.`;
    case 'Expired':
      return 'The sign-in took too long or was already used. Please try again.';
    case 'RateLimited':
      return `Too many attempts. Please wait ${err.retryAfter || 60} seconds and try again.`;
    case 'VerificationFailed':
    case 'BadRequest':
      return 'The passkey could not be verified. Please try again.';
    default:
      return err.message || 'Something went wrong. Please try again.';
  }
}

const rd = new URLSearchParams(location.search).get('rd') || undefined;
const status = document.getElementById('status');
const buttons = [document.getElementById('signin'), document.getElementById('continue')];

function busy(on, text) {
  for (const b of buttons) b.disabled = on;
  status.classList.remove('error');
  status.textContent = text || '';
}

function fail(err) {
  busy(false);
  status.classList.add('error');
  status.textContent = explain(err);
}

function signedIn(result) {
  status.textContent = 'Signed in. Taking you on…';
  location.assign(result.redirectUrl || '/');
}

// The SDK aborts a pending autofill request first: a second get() would fail while it waits.
async function signIn(username) {
  busy(true, 'Waiting for your device…');
  try {
    signedIn(await authenticate({ username: username || undefined, rd }));
  } catch (err) {
    if (err.code === 'Aborted') busy(false);
    else fail(err);
  }
}

// Autofill: offer passkeys in the username field's suggestions. Its browser-side failures
// (no passkey here, aborted for the button) are ignored quietly; passgate's are shown.
async function startConditional() {
  if (!(await isConditionalMediationAvailable())) return;
  try {
    signedIn(await authenticate({ mediation: 'conditional', rd }));
  } catch (err) {
    if (err.status) fail(err);
  }
}

document.getElementById('signin').addEventListener('click', () => signIn(null));
document.getElementById('username-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = document.getElementById('username').value.trim();
  if (!name) {
    status.classList.add('error');
    status.textContent = 'Enter your username, or use the button above.';
    return;
  }
  signIn(name);
});
startConditional();

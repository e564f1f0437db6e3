// The hosted sign-in page: usernameless sign-in with a button, browser autofill
// (conditional mediation) where supported, and a username-first path, all through
// /.passgate/api/v1/authenticate/begin and /finish.

import { b64url, credentialJSON, post } from './webauthn.js';

// PublicKeyCredential.parseRequestOptionsFromJSON where the browser has it.
function requestOptions(json) {
  if (window.PublicKeyCredential && PublicKeyCredential.parseRequestOptionsFromJSON) {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  const o = structuredClone(json);
  o.challenge = b64url.decode(o.challenge);
  o.allowCredentials = (o.allowCredentials || []).map((c) => ({ ...c, id: b64url.decode(c.id) }));
  return o;
}

function explain(err) {
  if (err && err.name === 'NotAllowedError') {
    return 'Sign-in was cancelled or timed out, or this device has no passkey for this site. You can try again.';
  }
  if (err && err.name === 'SecurityError') return 'This browser cannot use a passkey on this address.';
  if (err && err.status === 404) {
    return 'This passkey is not recognised. It may have been removed; ask for a new one under "Lost your passkey?".';
  }
  if (err && err.status === 403) return (err.message || 'This account cannot sign in.') + ' Contact your administrator.';
  if (err && err.status === 410) return 'The sign-in took too long or was already used. Please try again.';
  if (err && err.status === 429) {
    return `Too many attempts. Please wait ${err.retryAfter || 'a minute'} seconds and try again.`;
  }
  if (err && err.status === 400) return 'The passkey could not be verified. Please try again.';
  return (err && err.message) || 'Something went wrong. Please try again.';
}

const rd = new URLSearchParams(location.search).get('rd') || '';
const status = document.getElementById('status');
const buttons = [document.getElementById('signin'), document.getElementById('continue')];
let conditional = null;

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

async function finish(begin, cred) {
  status.textContent = 'Signing you in…';
  const done = await post('/.passgate/api/v1/authenticate/finish', {
    ceremony: begin.ceremony,
    credential: credentialJSON(cred),
    rd,
  });
  status.textContent = 'Signed in. Taking you on…';
  location.assign(done.redirect || '/');
}

// Stops a pending autofill request: a second get() would fail while it waits.
function abortConditional() {
  if (conditional) {
    conditional.abort();
    conditional = null;
  }
}

async function signIn(username) {
  abortConditional();
  busy(true, 'Waiting for your device…');
  try {
    if (!window.PublicKeyCredential) throw new Error('This browser does not support passkeys.');
    const begin = await post('/.passgate/api/v1/authenticate/begin', username ? { username } : {});
    const cred = await navigator.credentials.get({ publicKey: requestOptions(begin.publicKey) });
    await finish(begin, cred);
  } catch (err) {
    fail(err);
  }
}

// Autofill: offer passkeys in the username field's suggestions. Its immediate failures
// (no passkey here, aborted for the button) are ignored quietly.
async function startConditional() {
  if (!window.PublicKeyCredential || !PublicKeyCredential.isConditionalMediationAvailable) return;
  if (!(await PublicKeyCredential.isConditionalMediationAvailable().catch(() => false))) return;
  const controller = new AbortController();
  conditional = controller;
  try {
    const begin = await post('/.passgate/api/v1/authenticate/begin', {});
    if (controller.signal.aborted) return;
    const cred = await navigator.credentials.get({
      publicKey: requestOptions(begin.publicKey),
      mediation: 'conditional',
      signal: controller.signal,
    });
    if (conditional !== controller) return;
    conditional = null;
    busy(true);
    await finish(begin, cred);
  } catch (err) {
    if (conditional === controller) conditional = null;
    if (err && err.status) fail(err);
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

// The hosted binding page: creates a passkey from the link it was opened with, through the
// embedded SDK (/.passgate/sdk.js).

import { bindPasskey } from '../sdk.js';

function explain(err) {
  switch (err.code) {
    case 'NotAllowed':
      return 'The passkey was not created (cancelled or timed out). You can try again.';
    case 'InvalidState':
      return 'This device already has a passkey for your account.';
    case 'NotSupported':
    case 'Security':
      return 'This browser or device cannot create a passkey here.';
    case 'InvalidToken':
      return 'This link is not valid. Check that you opened the whole link, or ask for a new one.';
    case 'Expired':
      return 'This link can no longer be used: it was already used, cancelled, or has expired. Ask for a new one.';
    case 'Suspended':
      return 'The account this link belongs to is not active. Contact your administrator.';
    default:
      return err.message || 'Something went wrong. Please try again.';
  }
}

// Errors after which the same link cannot work.
const FINAL = ['InvalidToken', 'Expired', 'Suspended'];

async function bind(button, status) {
  button.disabled = true;
  status.classList.remove('error');
  status.textContent = 'Waiting for your device…';
  try {
    const done = await bindPasskey(location.href);
    if (done.postBindingRedirectUri) {
      status.textContent = 'Your passkey is ready. Taking you on…';
      location.assign(done.postBindingRedirectUri);
      return;
    }
    document.getElementById('intro').hidden = true;
    document.getElementById('done').hidden = false;
    status.textContent = '';
  } catch (err) {
    status.classList.add('error');
    status.textContent = explain(err);
    button.disabled = FINAL.includes(err.code);
  }
}

const button = document.getElementById('create');
const status = document.getElementById('status');
button.addEventListener('click', () => bind(button, status));

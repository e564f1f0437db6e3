// The hosted binding page: runs the WebAuthn registration through
// /.passgate/api/v1/bind/begin and /finish with the token from the link.

const b64url = {
  decode(s) {
    const pad = '='.repeat((4 - (s.length % 4)) % 4);
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '') + pad);
    return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
  },
  encode(buf) {
    const bytes = new Uint8Array(buf);
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  },
};

// PublicKeyCredential.parseCreationOptionsFromJSON where the browser has it.
function creationOptions(json) {
  if (window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON) {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  const o = structuredClone(json);
  o.challenge = b64url.decode(o.challenge);
  o.user.id = b64url.decode(o.user.id);
  o.excludeCredentials = (o.excludeCredentials || []).map((c) => ({ ...c, id: b64url.decode(c.id) }));
  return o;
}

// credential.toJSON() where the browser has it.
function registrationJSON(cred) {
  if (typeof cred.toJSON === 'function') return cred.toJSON();
  const r = cred.response;
  return {
    id: cred.id,
    rawId: b64url.encode(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    response: {
      clientDataJSON: b64url.encode(r.clientDataJSON),
      attestationObject: b64url.encode(r.attestationObject),
      transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
    },
    clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
  };
}

async function post(path, body) {
  const resp = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify(body),
  });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = new Error(data.message || `The server answered ${resp.status}.`);
    err.status = resp.status;
    throw err;
  }
  return data;
}

function explain(err) {
  if (err && err.name === 'NotAllowedError') {
    return 'The passkey was not created (cancelled or timed out). You can try again.';
  }
  if (err && err.name === 'InvalidStateError') {
    return 'This device already has a passkey for your account.';
  }
  if (err && (err.name === 'NotSupportedError' || err.name === 'SecurityError')) {
    return 'This browser or device cannot create a passkey here.';
  }
  return (err && err.message) || 'Something went wrong. Please try again.';
}

async function bind(button, status) {
  const token = new URLSearchParams(location.search).get('token') || '';
  button.disabled = true;
  status.classList.remove('error');
  status.textContent = 'Waiting for your device…';
  try {
    if (!window.PublicKeyCredential) throw new Error('This browser does not support passkeys.');
    const begin = await post('/.passgate/api/v1/bind/begin', { token });
    const cred = await navigator.credentials.create({ publicKey: creationOptions(begin.publicKey) });
    status.textContent = 'Saving your passkey…';
    const done = await post('/.passgate/api/v1/bind/finish', {
      ceremony: begin.ceremony,
      credential: registrationJSON(cred),
    });
    if (done.redirect) {
      status.textContent = 'Your passkey is ready. Taking you on…';
      location.assign(done.redirect);
      return;
    }
    document.getElementById('intro').hidden = true;
    document.getElementById('done').hidden = false;
    status.textContent = '';
  } catch (err) {
    status.classList.add('error');
    status.textContent = explain(err);
    button.disabled = err && (err.status === 404 || err.status === 410 || err.status === 403);
  }
}

const button = document.getElementById('create');
const status = document.getElementById('status');
button.addEventListener('click', () => bind(button, status));

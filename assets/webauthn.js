// Shared by passgate's hosted pages: base64url for WebAuthn's binary fields and a JSON
// POST that turns passgate's error answers into exceptions (status, code, Retry-After).

export const b64url = {
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

export async function post(path, body) {
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
    err.code = data.code;
    err.retryAfter = resp.headers.get('Retry-After');
    throw err;
  }
  return data;
}

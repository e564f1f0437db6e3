// Self-service passkeys: list, rename and remove your own passkeys, and add another (a
// binding link for yourself, opened here or copied to another device).

const status = document.getElementById('status');
const list = document.getElementById('list');

async function call(method, path, body) {
  const resp = await fetch(path, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    credentials: 'same-origin',
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await resp.json().catch(() => ({}));
  if (resp.status === 401 && data.code === 'reauthentication_required') {
    // Adding or removing a passkey needs a recent sign-in: sign in again, then come back.
    say('For your security, sign in again to change your passkeys…');
    window.location.assign(`/.passgate/login?rd=${encodeURIComponent('/.passgate/passkeys')}`);
    throw new Error('Sign in again to change your passkeys.');
  }
  if (!resp.ok) throw new Error(data.message || `The server answered ${resp.status}.`);
  return data;
}

function say(text, error) {
  status.classList.toggle('error', !!error);
  status.textContent = text;
}

function item(p) {
  const li = document.createElement('li');
  const name = document.createElement('span');
  name.textContent = p.name;
  const used = document.createElement('small');
  used.textContent = p.last_used_time ? ` (last used ${p.last_used_time})` : ' (never used)';
  const rename = document.createElement('button');
  rename.type = 'button';
  rename.textContent = 'Rename';
  rename.setAttribute('aria-label', `Rename ${p.name}`);
  rename.addEventListener('click', async () => {
    const next = prompt('New name for this passkey', p.name);
    if (!next) return;
    try {
      await call('PATCH', `/.passgate/api/v1/passkeys/${encodeURIComponent(p.id)}`, { name: next });
      say('Renamed.');
      await load();
    } catch (e) { say(e.message, true); }
  });
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.textContent = 'Remove';
  remove.setAttribute('aria-label', `Remove ${p.name}`);
  remove.addEventListener('click', async () => {
    if (!confirm(`Remove "${p.name}"? It will no longer sign you in.`)) return;
    try {
      await call('DELETE', `/.passgate/api/v1/passkeys/${encodeURIComponent(p.id)}`);
      say('Removed.');
      await load();
    } catch (e) { say(e.message, true); }
  });
  li.append(name, used, ' ', rename, ' ', remove);
  return li;
}

async function load() {
  try {
    const data = await call('GET', '/.passgate/api/v1/passkeys');
    list.replaceChildren(...data.passkeys.map(item));
  } catch (e) { say(e.message, true); }
}

document.getElementById('add').addEventListener('click', async () => {
  try {
    const { link } = await call('POST', '/.passgate/api/v1/passkeys/link', {});
    say(`Open this link on the device that should hold the new passkey (it works once): ${link}`);
  } catch (e) { say(e.message, true); }
});

load();

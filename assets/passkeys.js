// Self-service passkeys: list, rename and remove your own passkeys, and add another (a
// binding link for yourself, opened here or copied to another device), through the
// embedded SDK (/.passgate/sdk.js).

import { createBindPasskeyUrl, deletePasskey, getPasskeys, renamePasskey } from '../sdk.js';

const status = document.getElementById('status');
const list = document.getElementById('list');

function say(text, error) {
  status.classList.toggle('error', !!error);
  status.textContent = text;
}

// Runs an SDK call; a change that needs a recent sign-in sends the browser to sign in
// again and come back here.
async function attempt(action) {
  try {
    return await action();
  } catch (err) {
    if (err.code === 'ReauthenticationRequired') {
      say('For your security, sign in again to change your passkeys…');
      location.assign(`/.passgate/login?rd=${encodeURIComponent('/.passgate/passkeys')}`);
    } else {
      say(err.message, true);
    }
    return undefined;
  }
}

function item(p) {
  const li = document.createElement('li');
  const name = document.createElement('span');
  name.textContent = p.name;
  const used = document.createElement('small');
  used.textContent = p.lastUsed ? ` (last used ${p.lastUsed})` : ' (never used)';
  const rename = document.createElement('button');
  rename.type = 'button';
  rename.textContent = 'Rename';
  rename.setAttribute('aria-label', `Rename ${p.name}`);
  rename.addEventListener('click', async () => {
    const next = prompt('New name for this passkey', p.name);
    if (!next) return;
    if (await attempt(() => renamePasskey(p.id, next))) {
      say('Renamed.');
      await load();
    }
  });
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.textContent = 'Remove';
  remove.setAttribute('aria-label', `Remove ${p.name}`);
  remove.addEventListener('click', async () => {
    if (!confirm(`Remove "${p.name}"? It will no longer sign you in.`)) return;
    if ((await attempt(() => deletePasskey(p.id).then(() => true))) === true) {
      say('Removed.');
      await load();
    }
  });
  li.append(name, used, ' ', rename, ' ', remove);
  return li;
}

async function load() {
  const passkeys = await attempt(getPasskeys);
  if (passkeys) list.replaceChildren(...passkeys.map(item));
}

document.getElementById('add').addEventListener('click', async () => {
  const link = await attempt(createBindPasskeyUrl);
  if (link) say(`Open this link on the device that should hold the new passkey (it works once): ${link}`);
});

load();

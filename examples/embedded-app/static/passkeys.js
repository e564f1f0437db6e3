// The app's passkey management: list, rename and remove the signed-in user's passkeys, and
// a link for another device that opens the app's own enrolment page.

import {
  createBindPasskeyUrl,
  deletePasskey,
  getPasskeys,
  getSession,
  renamePasskey,
} from '/.passgate/sdk.js';
import { fail, say } from './ui.js';

const list = document.getElementById('list');

const MESSAGES = {
  ReauthenticationRequired: 'Sign in again first: this change needs a recent sign-in.',
  Conflict: 'This is your only passkey: add another before removing it.',
};

function item(p) {
  const li = document.createElement('li');
  li.dataset.id = p.id;
  li.dataset.credentialId = p.credentialId;
  const name = document.createElement('input');
  name.value = p.name;
  name.setAttribute('aria-label', `Name of ${p.name}`);
  const rename = document.createElement('button');
  rename.textContent = 'Rename';
  rename.setAttribute('aria-label', `Rename ${p.name}`);
  rename.addEventListener('click', () =>
    run(async () => `Renamed to ${(await renamePasskey(p.id, name.value)).name}.`),
  );
  const remove = document.createElement('button');
  remove.textContent = 'Remove';
  remove.setAttribute('aria-label', `Remove ${p.name}`);
  remove.addEventListener('click', () =>
    run(async () => {
      await deletePasskey(p.id);
      return `Removed ${p.name}.`;
    }),
  );
  const used = document.createElement('small');
  used.textContent = p.lastUsed ? ` last used ${p.lastUsed}` : ' never used';
  li.append(name, ' ', rename, ' ', remove, used);
  return li;
}

async function load() {
  const passkeys = await getPasskeys();
  list.replaceChildren(...passkeys.map(item));
}

// Runs `action`, reloads the list, then says what the action returned.
async function run(action) {
  try {
    const done = await action();
    await load();
    if (done) say(done);
  } catch (err) {
    fail(err, MESSAGES[err.code]);
  }
}

document.getElementById('add').addEventListener('click', () =>
  run(async () => {
    // Made with the app's embedded authenticator configuration (passgate.toml): the link
    // leads to this app's own enrolment page.
    const link = await createBindPasskeyUrl({ authenticatorConfigId: 'embedded-app' });
    document.getElementById('link').textContent = link;
    return 'Open the link on the other device; it works once.';
  }),
);

run(async () => {
  const session = await getSession();
  document.getElementById('who').textContent = session ? session.identity.username : '';
});

// The self-service passkeys page in Chromium with the virtual authenticator. A passkey is
// made on the binding page (PASSGATE_BIND_LINK), which signs in; the page lists it and
// renames it. Then a browser whose session signed in an hour ago (PASSGATE_OLD_TOKEN, made
// by the Rust side) sees the list, but "Add a passkey" sends it to sign in again and back;
// after that the page hands out a link for oneself.

import { run, baseUrl, newDevice, copyToNewDevice, check, checkEqual } from './lib.mjs';

const base = baseUrl();
const link = process.env.PASSGATE_BIND_LINK;
const oldToken = process.env.PASSGATE_OLD_TOKEN;
const passkeysUrl = `${base}/.passgate/passkeys`;

// Makes the sign-in page believe autofill is unavailable, so only the button acts.
const NO_AUTOFILL = () => {
  if (window.PublicKeyCredential) {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  }
};

async function statusText(page, what) {
  const status = page.locator('#status');
  const deadline = Date.now() + 15000;
  let text = '';
  while (Date.now() < deadline) {
    text = await status.innerText();
    if (text) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: the page said nothing`);
}

await run('passkeys', async (browser) => {
  check(link && oldToken, 'PASSGATE_BIND_LINK and PASSGATE_OLD_TOKEN are set');

  // Bind (which signs in), then the page lists the one passkey and renames it.
  const owner = await newDevice(browser);
  await owner.page.goto(link);
  // A job without a redirect: the binding page says so and stays.
  await owner.page.getByRole('button', { name: 'Create passkey' }).click();
  await owner.page.getByText('Your passkey is ready.').waitFor({ timeout: 15000 });
  await owner.page.goto(passkeysUrl);
  const items = owner.page.locator('#list li');
  await items.first().waitFor({ timeout: 15000 });
  checkEqual(await items.count(), 1, 'one passkey listed');
  const heading = await owner.page.locator('main').innerText();
  check(heading.includes('paula'), 'the page says who is signed in', heading);
  owner.page.once('dialog', (d) => d.accept('Work laptop'));
  await owner.page.getByRole('button', { name: /^Rename / }).click();
  checkEqual(await statusText(owner.page, 'rename'), 'Renamed.', 'rename confirmed');
  await owner.page.getByText('Work laptop').waitFor({ timeout: 15000 });

  // An hour-old sign-in: listing works, adding a passkey needs a new sign-in.
  const stale = await copyToNewDevice(browser, owner);
  await stale.context.addInitScript(NO_AUTOFILL);
  await stale.context.addCookies([{ name: 'passgate_session', value: oldToken, url: base }]);
  await stale.page.goto(passkeysUrl);
  await stale.page.locator('#list li').first().waitFor({ timeout: 15000 });
  await Promise.all([
    stale.page.waitForURL((url) => url.pathname === '/.passgate/login', { timeout: 15000 }),
    stale.page.getByRole('button', { name: 'Add a passkey' }).click(),
  ]);
  checkEqual(
    new URL(stale.page.url()).searchParams.get('rd'),
    '/.passgate/passkeys',
    'sent to sign in, to come back to the passkeys page',
  );
  await Promise.all([
    stale.page.waitForURL(passkeysUrl, { timeout: 15000 }),
    stale.page.getByRole('button', { name: 'Sign in with a passkey' }).click(),
  ]);
  await stale.page.locator('#list li').first().waitFor({ timeout: 15000 });
  await stale.page.getByRole('button', { name: 'Add a passkey' }).click();
  const said = await statusText(stale.page, 'add');
  check(said.includes(`${base}/.passgate/bind?token=`), 'a link for oneself after signing in again', said);
});

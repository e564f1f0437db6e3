// The admin console in Chromium, from `passgate demo` on: the admin binds a passkey from
// the printed link, opens the console, creates an identity and a RETURN binding link; a
// second browser (fresh context, own authenticator) binds a passkey from that link, sees
// the demo app's identity headers, and is refused the console. Screenshots of every page
// go to PASSGATE_SHOTS (light, dark, and 360 px wide).
// PASSGATE_BIND_LINK is the demo's printed link.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, baseUrl, newDevice, check, checkEqual, artifactsDir } from './lib.mjs';

const base = baseUrl();
const link = process.env.PASSGATE_BIND_LINK;
const shots = process.env.PASSGATE_SHOTS || join(artifactsDir(), 'console');
mkdirSync(shots, { recursive: true });

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

await run('console', async (browser) => {
  check(link && link.startsWith(base), 'the demo printed a link on the gateway', link);

  // The admin binds a passkey and lands on the demo app.
  const admin = await newDevice(browser);
  let page = admin.page;
  await page.setViewportSize({ width: 1100, height: 800 });
  await page.goto(link);
  await shot(page, 'bind');
  await Promise.all([
    page.waitForURL(`${base}/`, { timeout: 15000 }),
    page.getByRole('button', { name: 'Create passkey' }).click(),
  ]);
  check((await page.content()).includes('x-passgate-user'), 'the demo app shows headers');
  await shot(page, 'demo-app');

  // The console, from the demo app's link.
  await Promise.all([page.waitForURL(`${base}/.passgate/console/`), page.getByRole('link', { name: 'Admin console' }).click()]);
  checkEqual(await page.locator('h1').innerText(), 'Admin console', 'the console opens');
  check((await page.locator('.who').innerText()).includes('admin'), 'who is signed in');
  await shot(page, 'home');

  // Keyboard only: the first Tab reaches the skip link, Enter moves to the content.
  await page.keyboard.press('Tab');
  checkEqual(await page.evaluate(() => document.activeElement.textContent), 'Skip to content', 'skip link first');

  // A new identity, by keyboard.
  await page.goto(`${base}/.passgate/console/identities`);
  await shot(page, 'identities');
  await page.getByRole('link', { name: 'New identity' }).click();
  await page.getByLabel('Username').fill('grace');
  await page.getByLabel('Display name').fill('Grace Hopper');
  await page.getByLabel('Email address').fill('grace@example.com');
  await shot(page, 'identity-new');
  await Promise.all([page.waitForURL(/identities\/[0-9a-f]{32}\?done=created/), page.getByLabel('External id').press('Enter')]);
  checkEqual(await page.locator('h1').innerText(), 'grace', 'the new identity');
  await shot(page, 'identity');

  // A RETURN link with a QR code.
  await page.getByRole('button', { name: 'Create link' }).click();
  await page.waitForSelector('#link');
  const graceLink = await page.locator('#link').inputValue();
  check(graceLink.startsWith(`${base}/.passgate/bind?token=`), 'a binding link', graceLink);
  check(await page.locator('.qr svg').count() === 1, 'a QR code');
  check(await page.getByRole('button', { name: 'Copy' }).isVisible(), 'a copy button (script on)');
  await shot(page, 'binding-link');

  // Grace, in a fresh browser, binds a passkey from it and reaches the demo app as herself.
  const grace = await newDevice(browser);
  await grace.page.goto(graceLink);
  await grace.page.getByRole('button', { name: 'Create passkey' }).click();
  await grace.page.locator('#done').waitFor({ state: 'visible', timeout: 15000 });
  await grace.page.goto(`${base}/`);
  const headers = await grace.page.locator('table').innerText();
  check(/x-passgate-user\s+grace/.test(headers), 'the demo app sees grace', headers);
  await shot(grace.page, 'demo-app-grace');

  // Grace is no admin: 403.
  const refused = await grace.page.goto(`${base}/.passgate/console/identities`);
  checkEqual(refused.status(), 403, 'a non-admin is refused the console');
  check((await grace.page.content()).includes('passgate-admins'), 'saying which group is needed');
  await shot(grace.page, 'refused');

  // Back as the admin: grace has a passkey now; the other pages.
  await page.goto(`${base}/.passgate/console/identities?q=grace`);
  check((await page.locator('tbody').innerText()).includes('ENROLLED'), 'grace is enrolled');
  await shot(page, 'identities-search');
  await page.getByRole('link', { name: 'grace' }).click();
  await page.getByRole('link', { name: 'Delete this identity…' }).click();
  await shot(page, 'confirm-delete');

  await page.goto(`${base}/.passgate/console/groups`);
  await shot(page, 'groups');
  await page.getByRole('link', { name: 'passgate-admins' }).click();
  await shot(page, 'group');

  await page.goto(`${base}/.passgate/console/tokens`);
  await page.getByLabel('Name (what it is for)').fill('provisioning script');
  await page.getByLabel('Scopes (select one or more)').selectOption(['identities:read', 'identities:create']);
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = await page.locator('#secret').inputValue();
  check(secret.startsWith('pgt_'), 'the token is shown once', secret);
  await shot(page, 'token-created');
  await page.goto(`${base}/.passgate/console/tokens`);
  check(!(await page.content()).includes(secret), 'and never again');
  await shot(page, 'tokens');

  await page.goto(`${base}/.passgate/console/audit`);
  check((await page.locator('tbody').innerText()).includes('admin (console)'), 'the admin is the actor');
  await shot(page, 'audit');
  await page.goto(`${base}/.passgate/console/routes`);
  await shot(page, 'routes');
  await page.goto(`${base}/.passgate/console/realms`);
  await shot(page, 'realms');
  await page.goto(`${base}/.passgate/passkeys`);
  await shot(page, 'passkeys');

  // Dark and narrow.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(`${base}/.passgate/console/identities`);
  await shot(page, 'identities-dark');
  await page.setViewportSize({ width: 360, height: 740 });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByRole('link', { name: 'grace' }).click();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 360, 'no sideways scrolling at 360 px', wide);
  await shot(page, 'identity-360');

  const signedOut = await newDevice(browser);
  await signedOut.page.goto(`${base}/.passgate/console/`);
  check(signedOut.page.url().startsWith(`${base}/.passgate/login?rd=`), 'strangers go to sign-in', signedOut.page.url());
  await shot(signedOut.page, 'login');
});

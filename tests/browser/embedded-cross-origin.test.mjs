// The embedded-app example on its own origin (another localhost port than passgate), in
// Chromium with the virtual authenticator. Its pages import the SDK from passgate and call
// the ceremony API cross-origin with credentials; passgate trusts the origin through the
// `cross-origin` embedded authenticator configuration (trusted_origins). Checked: binding
// through the app's own page from a RETURN link of that configuration (the link is the
// app's), the session read and ended from the app's page, sign-in with the button; and the
// same app on an origin passgate does not trust: a valid link fails with a Network error
// (the browser's CORS check), no passkey is made, and a signed-in user's session cannot be
// read from there.

import { join } from 'node:path';
import {
  run, baseUrl, newDevice, copyToNewDevice, credentials, check, checkEqual, artifactsDir,
} from './lib.mjs';

const base = baseUrl();
const app = process.env.PASSGATE_CROSS_APP;
const crossLink = process.env.PASSGATE_CROSS_LINK;
const untrustedApp = process.env.PASSGATE_UNTRUSTED_APP;
const untrustedLink = process.env.PASSGATE_UNTRUSTED_LINK;

const NO_AUTOFILL = () => {
  PublicKeyCredential.isConditionalMediationAvailable = async () => false;
};

// The SDK error code the page shows (data-code of #status), once it shows one.
async function shownCode(page, what) {
  const status = page.locator('#status');
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    const code = await status.getAttribute('data-code');
    if (code) return code;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: the page shows no error code: ${await status.innerText()}`);
}

// In the page (any origin): getSession() of the SDK loaded from passgate → the username,
// null when signed out, or the error code.
function sessionUser(page) {
  return page.evaluate(async (passgate) => {
    const sdk = await import(`${passgate}/.passgate/sdk.js`);
    try {
      const s = await sdk.getSession();
      return s && s.identity.username;
    } catch (err) {
      return `error: ${err.code}`;
    }
  }, base);
}

await run('embedded-cross-origin', async (browser) => {
  check(app && untrustedApp, 'PASSGATE_CROSS_APP and PASSGATE_UNTRUSTED_APP');
  check(new URL(app).origin !== new URL(base).origin, 'the app has its own origin', app, base);
  check(crossLink && crossLink.startsWith(`${app}/passkeys/bind?token=`), 'the link is the app page', crossLink);

  // Enrolment on the app's own page, its API calls going cross-origin to passgate.
  const owner = await newDevice(browser);
  const calls = [];
  owner.page.on('request', (r) => {
    if (r.url().startsWith(`${base}/.passgate/api/`)) calls.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  const opened = await owner.page.goto(crossLink);
  checkEqual(opened.status(), 200, 'the app serves its enrolment page');
  checkEqual(new URL(owner.page.url()).origin, app, 'on its own origin');
  await owner.page.getByRole('button', { name: 'Create passkey' }).click();
  await owner.page.getByText('Your passkey is ready').waitFor({ timeout: 15000 });
  checkEqual(await owner.page.locator('#who').innerText(), 'erin', 'bindPasskey names the identity');
  check(calls.includes('POST /.passgate/api/v1/bind/begin') && calls.includes('POST /.passgate/api/v1/bind/finish'),
    'the ceremony went to passgate', calls);
  await owner.page.screenshot({ path: join(artifactsDir(), 'embedded-cross-origin-bound.png'), fullPage: true });
  const keys = await credentials(owner);
  checkEqual(keys.length, 1, 'one passkey');
  check(keys[0].isResidentCredential, 'discoverable');

  // The session cookie came with the cross-origin answer: readable from the app's page,
  // and signing out from there ends it.
  checkEqual(await sessionUser(owner.page), 'erin', 'getSession() from the app origin');
  await owner.page.evaluate(async (passgate) => (await import(`${passgate}/.passgate/sdk.js`)).signOut(), base);
  checkEqual(await sessionUser(owner.page), null, 'signed out from the app origin');

  // Sign-in with the button on the app's own sign-in page.
  const signin = await copyToNewDevice(browser, owner);
  await signin.context.addInitScript(NO_AUTOFILL);
  await signin.page.goto(`${app}/signin`);
  await Promise.all([
    signin.page.waitForURL(`${app}/`, { timeout: 15000 }),
    signin.page.getByRole('button', { name: 'Sign in with a passkey' }).click(),
  ]);
  checkEqual(await sessionUser(signin.page), 'erin', 'signed in from the app origin');

  // The same signed-in browser on an untrusted origin: the session cannot be read.
  await signin.page.goto(`${untrustedApp}/signin`);
  checkEqual(await sessionUser(signin.page), 'error: Network', 'no session for an untrusted origin');

  // A valid link opened on the untrusted origin: refused by the browser's CORS check.
  const stranger = await newDevice(browser);
  const errors = [];
  stranger.page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  checkEqual((await stranger.page.goto(untrustedLink)).status(), 200, 'the untrusted app page loads');
  await stranger.page.getByRole('button', { name: 'Create passkey' }).click();
  checkEqual(await shownCode(stranger.page, 'untrusted origin'), 'Network', 'a Network error on an untrusted origin');
  checkEqual((await credentials(stranger)).length, 0, 'no passkey made there');
  check(errors.some((e) => /CORS|Access-Control/i.test(e)), 'the browser blocked it for CORS', errors);
});

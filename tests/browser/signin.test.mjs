// The hosted sign-in page in Chromium with the virtual authenticator. A passkey is made on
// the binding page (PASSGATE_BIND_LINK); then, in fresh contexts holding copies of it:
// autofill (conditional mediation, which the virtual authenticator answers at once) signs
// in from a protected URL's redirect; the button and the username-first form sign in with
// autofill switched off; a device without a passkey gets a clear message from the button
// and silence from autofill. PASSGATE_RD is the protected URL to end up on.

import { run, baseUrl, newDevice, copyToNewDevice, check, checkEqual } from './lib.mjs';

const base = baseUrl();
const link = process.env.PASSGATE_BIND_LINK;
const rd = process.env.PASSGATE_RD;
const loginUrl = `${base}/.passgate/login?rd=${encodeURIComponent(rd)}`;

// Makes the page believe autofill is unavailable, so only the button or form act.
const NO_AUTOFILL = () => {
  if (window.PublicKeyCredential) {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  }
};

async function landedSignedIn(device, what) {
  const deadline = Date.now() + 15000;
  while (device.page.url() !== rd) {
    check(Date.now() < deadline, `${what}: landed on rd`, device.page.url());
    await new Promise((r) => setTimeout(r, 50));
  }
  await device.page.waitForLoadState('load');
  const body = await device.page.locator('body').innerText();
  check(body.includes('"x-passgate-user"') && body.includes('alice'), `${what}: the upstream saw alice`, body);
  const cookies = await device.context.cookies(base);
  const session = cookies.find((c) => c.name === 'passgate_session');
  check(session && session.httpOnly && session.sameSite === 'Lax', `${what}: session cookie`, cookies);
}

await run('signin', async (browser) => {
  check(link && rd, 'PASSGATE_BIND_LINK and PASSGATE_RD are set');
  const owner = await newDevice(browser);
  await owner.page.goto(link);
  await owner.page.getByRole('button', { name: 'Create passkey' }).click();
  await owner.page.getByText('Your passkey is ready').waitFor({ timeout: 15000 });

  // Autofill: a protected URL → the sign-in page → signed in without a click.
  const autofill = await copyToNewDevice(browser, owner);
  const first = await autofill.page.goto(rd);
  check(first.url().startsWith(`${base}/.passgate/login?rd=`), 'redirected to sign in', first.url());
  await landedSignedIn(autofill, 'autofill');

  // The button (autofill off).
  // Each device copies the last one used: a copy continues from the sign count it was
  // copied with, and a count that goes backwards is refused (a cloned passkey).
  const button = await copyToNewDevice(browser, autofill);
  await button.context.addInitScript(NO_AUTOFILL);
  await button.page.goto(loginUrl);
  const field = button.page.locator('#username');
  checkEqual(await field.getAttribute('autocomplete'), 'username webauthn', 'autofill field');
  await Promise.all([
    landedSignedIn(button, 'button'),
    button.page.getByRole('button', { name: 'Sign in with a passkey' }).click(),
  ]);

  // The button with autofill pending: the page aborts autofill's request first.
  const both = await copyToNewDevice(browser, button);
  await both.context.addInitScript(() => {
    // Autofill that never completes on its own, as in a real browser until the user picks.
    const original = navigator.credentials.get.bind(navigator.credentials);
    navigator.credentials.get = (options) => {
      if (options && options.mediation === 'conditional') {
        return new Promise((_, reject) => {
          options.signal.addEventListener('abort', () => {
            window.__autofillAborted = true;
            reject(new DOMException('aborted', 'AbortError'));
          });
        });
      }
      return original(options);
    };
  });
  await both.page.goto(loginUrl);
  await both.page.waitForTimeout(300);
  await Promise.all([
    landedSignedIn(both, 'button over pending autofill'),
    both.page.getByRole('button', { name: 'Sign in with a passkey' }).click(),
  ]);

  // Username first (autofill off).
  const named = await copyToNewDevice(browser, both);
  await named.context.addInitScript(NO_AUTOFILL);
  await named.page.goto(loginUrl);
  await named.page.getByLabel('Username').fill('alice');
  await Promise.all([
    landedSignedIn(named, 'username first'),
    named.page.getByRole('button', { name: 'Continue' }).click(),
  ]);

  // A name that does not exist gets a decoy credential: this device holds only alice's
  // passkey, which is not offered in its place; the page explains and stays.
  const unknown = await copyToNewDevice(browser, named);
  await unknown.context.addInitScript(NO_AUTOFILL);
  await unknown.page.goto(loginUrl);
  await unknown.page.getByLabel('Username').fill('nobody');
  await unknown.page.getByRole('button', { name: 'Continue' }).click();
  await unknown.page.locator('#status.error').waitFor({ timeout: 15000 });
  const decoyMessage = await unknown.page.locator('#status').innerText();
  check(
    decoyMessage.includes('no passkey') || decoyMessage.includes('cancelled'),
    'an unknown name gets the no-passkey message',
    decoyMessage,
  );
  checkEqual(unknown.page.url(), loginUrl, 'an unknown name stays on the sign-in page');

  // No passkey on this device: autofill fails quietly; the button explains.
  const empty = await newDevice(browser);
  await empty.page.goto(loginUrl);
  await empty.page.waitForTimeout(500);
  checkEqual(await empty.page.locator('#status').innerText(), '', 'autofill failure is quiet');
  await empty.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await empty.page.locator('#status.error').waitFor({ timeout: 15000 });
  const message = await empty.page.locator('#status').innerText();
  check(message.includes('no passkey') || message.includes('cancelled'), 'a useful message', message);
  checkEqual(empty.page.url(), loginUrl, 'still on the sign-in page');

  // A stale copy (counter behind) is refused with an explanation.
  const stale = await copyToNewDevice(browser, owner);
  await stale.context.addInitScript(NO_AUTOFILL);
  await stale.page.goto(loginUrl);
  await stale.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await stale.page.locator('#status.error').waitFor({ timeout: 15000 });
  const refused = await stale.page.locator('#status').innerText();
  check(refused.includes('counter went backwards'), 'the cloned passkey is refused', refused);
});

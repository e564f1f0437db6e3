// The hosted binding page in Chromium: open a RETURN link, press "Create passkey", the
// virtual authenticator makes a discoverable passkey, the page finishes the ceremony, the
// session cookie is set and the browser lands on the job's post_binding_redirect_uri.
// PASSGATE_BIND_LINK is the link; PASSGATE_BIND_REDIRECT where it must end up.

import { run, baseUrl, newDevice, credentials, check, checkEqual } from './lib.mjs';

const base = baseUrl();
const link = process.env.PASSGATE_BIND_LINK;
const redirect = process.env.PASSGATE_BIND_REDIRECT;

await run('bind', async (browser) => {
  check(link && link.startsWith(base), 'PASSGATE_BIND_LINK is a link on the gateway', link);
  const device = await newDevice(browser);
  const { page } = device;
  const response = await page.goto(link);
  checkEqual(response.status(), 200, 'the binding page opens');
  const heading = await page.locator('h1').innerText();
  check(heading.includes('Create your passkey'), 'the page explains itself', heading);
  checkEqual((await credentials(device)).length, 0, 'no passkey before the button');

  await Promise.all([
    page.waitForURL((url) => url.href === redirect, { timeout: 15000 }),
    page.getByRole('button', { name: 'Create passkey' }).click(),
  ]);

  const stored = await credentials(device);
  checkEqual(stored.length, 1, 'one passkey stored on the device');
  check(stored[0].isResidentCredential, 'the passkey is discoverable');
  checkEqual(stored[0].rpId, 'localhost', 'rp id');
  const cookies = await device.context.cookies(base);
  const session = cookies.find((c) => c.name === 'passgate_session');
  check(session && session.httpOnly, 'the session cookie is set, HttpOnly', cookies);

  // The link is used up: opening it again says so.
  const second = await newDevice(browser);
  const again = await second.page.goto(link);
  checkEqual(again.status(), 410, 'a used link is refused');
  const text = await second.page.locator('h1').innerText();
  check(text.includes('no longer be used'), 'with a clear page', text);
});

// Passkey sign-in through an OpenID Connect client's redirect, in Chromium with the
// virtual authenticator. A passkey is made on the binding page (PASSGATE_BIND_LINK); a
// fresh context holding a copy of it (signed out) opens the client's authorization URL
// (PASSGATE_AUTHORIZE_URL), lands on the hosted sign-in page, signs in with the passkey
// (autofill answers at once under the virtual authenticator) and is sent back to the
// authorization endpoint, which redirects to the client's redirect URI
// (http://localhost:9/cb, answered here by a Playwright route) with a code, the state and
// the issuer. The code is then redeemed at the token endpoint as the client would
// (PASSGATE_OIDC_SECRET, PASSGATE_OIDC_VERIFIER) and the ID token names the user.

import { run, newDevice, copyToNewDevice, check, checkEqual, baseUrl } from './lib.mjs';

const base = baseUrl();
const link = process.env.PASSGATE_BIND_LINK;
const authorizeUrl = process.env.PASSGATE_AUTHORIZE_URL;

await run('oidc', async (browser) => {
  check(link && authorizeUrl, 'PASSGATE_BIND_LINK and PASSGATE_AUTHORIZE_URL are set');
  const owner = await newDevice(browser);
  await owner.page.goto(link);
  await owner.page.getByRole('button', { name: 'Create passkey' }).click();
  await owner.page.getByText('Your passkey is ready').waitFor({ timeout: 15000 });

  const device = await copyToNewDevice(browser, owner);
  let callback = null;
  await device.context.route('http://localhost:9/**', async (route) => {
    callback = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'client callback' });
  });
  const first = await device.page.goto(authorizeUrl);
  check(
    first.url().startsWith(`${base}/.passgate/login?rd=`),
    'sent to the hosted sign-in page',
    first.url(),
  );
  const deadline = Date.now() + 15000;
  while (!callback) {
    check(Date.now() < deadline, 'came back to the client', device.page.url());
    await new Promise((r) => setTimeout(r, 50));
  }
  checkEqual(callback.origin + callback.pathname, 'http://localhost:9/cb', 'redirect URI');
  checkEqual(callback.searchParams.get('state'), 'browser-state', 'state');
  checkEqual(callback.searchParams.get('iss'), `${base}/.passgate`, 'iss');
  check(callback.searchParams.get('code'), 'a code', callback.href);
  const res = await fetch(`${base}/.passgate/oidc/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`app:${process.env.PASSGATE_OIDC_SECRET}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code'),
      redirect_uri: 'http://localhost:9/cb',
      code_verifier: process.env.PASSGATE_OIDC_VERIFIER,
    }),
  });
  const tokens = await res.json();
  checkEqual(res.status, 200, `token endpoint: ${JSON.stringify(tokens)}`);
  const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString());
  checkEqual(claims.preferred_username, 'alice', 'the ID token names the passkey user');
  check(claims.amr.includes('hwk'), 'amr names a hardware-bound key', claims.amr);
});

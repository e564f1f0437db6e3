//! Smoke test of the browser harness: a page served through the gateway (public route to
// the test upstream) at http://localhost:PORT can create a discoverable passkey with the
// virtual authenticator, sign in usernameless with it, and a copy on a second device works.

import { run, baseUrl, newDevice, copyToNewDevice, credentials, check, checkEqual } from './lib.mjs';

const base = baseUrl();

// Runs in the page: create() with a resident key, then toJSON() of the result.
async function createPasskey() {
  const rand = (n) => crypto.getRandomValues(new Uint8Array(n));
  const cred = await navigator.credentials.create({
    publicKey: {
      rp: { id: 'localhost', name: 'passgate smoke' },
      user: { id: rand(16), name: 'alice', displayName: 'Alice' },
      challenge: rand(32),
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      attestation: 'none',
    },
  });
  return cred.toJSON();
}

// Runs in the page: a usernameless get() (empty allowCredentials).
async function usernameless() {
  const cred = await navigator.credentials.get({
    publicKey: {
      rpId: 'localhost',
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      allowCredentials: [],
      userVerification: 'required',
    },
  });
  return cred.toJSON();
}

await run('smoke', async (browser) => {
  const first = await newDevice(browser);
  const response = await first.page.goto(`${base}/public/smoke`);
  checkEqual(response.status(), 200, 'status of the page through the gateway');
  const echoed = JSON.parse(await first.page.locator('body').innerText());
  checkEqual(echoed.upstream, 'app', 'the page came from the upstream');
  checkEqual(echoed.path, '/public/smoke', 'the upstream saw the path');

  const uvpaa = await first.page.evaluate(() =>
    PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable(),
  );
  check(uvpaa, 'the virtual authenticator is attached (UVPAA)');
  checkEqual((await credentials(first)).length, 0, 'no passkeys before create()');

  const created = await first.page.evaluate(createPasskey);
  checkEqual(created.type, 'public-key', 'credential type');
  checkEqual(created.authenticatorAttachment, 'platform', 'attachment');
  const clientData = JSON.parse(Buffer.from(created.response.clientDataJSON, 'base64url'));
  checkEqual(clientData.origin, base, 'clientDataJSON origin (no trailing slash)');
  checkEqual(clientData.type, 'webauthn.create', 'clientDataJSON type');

  const stored = await credentials(first);
  checkEqual(stored.length, 1, 'one passkey stored');
  check(stored[0].isResidentCredential, 'the passkey is discoverable');
  checkEqual(stored[0].rpId, 'localhost', 'rp id');

  const assertion = await first.page.evaluate(usernameless);
  checkEqual(assertion.id, created.id, 'usernameless get() used the new passkey');
  check(assertion.response.userHandle, 'usernameless get() returned the user handle');

  const second = await copyToNewDevice(browser, first);
  await second.page.goto(`${base}/public/second`);
  const again = await second.page.evaluate(usernameless);
  checkEqual(again.id, created.id, 'the copied passkey works on a second device');
});

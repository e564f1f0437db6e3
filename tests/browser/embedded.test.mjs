// The embedded-app example (examples/embedded-app) behind passgate, in Chromium with the
// virtual authenticator: its own enrolment page (opened from a RETURN link made with the
// example's embedded authenticator configuration, PASSGATE_APP_BIND_LINK), the route's
// login_url sending signed-out browsers to the app's sign-in page, a cancelled ceremony and a used link as typed errors, its
// passkey page (add one on a second device, rename, remove, the last one kept), sign-in by
// button, autofill (conditional UI), the button over pending autofill, username first,
// sign-out, and the SDK's base64url fallback (the browser's JSON helpers deleted) sending
// exactly what toJSON() gives. Screenshots of the main pages go to the artifacts folder.

import { join } from 'node:path';
import {
  run, baseUrl, newDevice, copyToNewDevice, credentials, check, checkEqual, artifactsDir,
} from './lib.mjs';

const base = baseUrl();
const appLink = process.env.PASSGATE_APP_BIND_LINK;
const suspendedLink = process.env.PASSGATE_SUSPENDED_LINK;

// Makes the page believe autofill is unavailable, so only the buttons act.
const NO_AUTOFILL = () => {
  PublicKeyCredential.isConditionalMediationAvailable = async () => false;
};

// Autofill that never completes on its own, as in a real browser until the user picks.
const PENDING_AUTOFILL = () => {
  const original = navigator.credentials.get.bind(navigator.credentials);
  navigator.credentials.get = (options) => {
    if (options && options.mediation === 'conditional') {
      return new Promise((_, reject) => {
        options.signal.addEventListener('abort', () => {
          sessionStorage.setItem('autofillAborted', '1');
          reject(options.signal.reason);
        });
      });
    }
    return original(options);
  };
};

// A sign-in response with its signature changed (the SDK sends what toJSON() gives).
const TAMPERED = () => {
  const original = navigator.credentials.get.bind(navigator.credentials);
  navigator.credentials.get = async (options) => {
    const cred = await original(options);
    const json = cred.toJSON();
    json.response.signature = json.response.signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    cred.toJSON = () => json;
    return cred;
  };
};

// The browser without parse*FromJSON and toJSON (the SDK's fallback path), keeping the
// native toJSON aside and recording each credential and each JSON body the page sends.
const NO_JSON_HELPERS = () => {
  const P = window.PublicKeyCredential;
  window.__nativeToJSON = P.prototype.toJSON;
  delete P.parseCreationOptionsFromJSON;
  delete P.parseRequestOptionsFromJSON;
  delete P.prototype.toJSON;
  window.__credentials = [];
  for (const m of ['create', 'get']) {
    const original = navigator.credentials[m].bind(navigator.credentials);
    navigator.credentials[m] = async (options) => {
      const cred = await original(options);
      window.__credentials.push(cred);
      return cred;
    };
  }
  window.__sent = [];
  const fetch = window.fetch.bind(window);
  window.fetch = (url, init) => {
    if (init && init.body) window.__sent.push({ url: String(url), body: JSON.parse(init.body) });
    return fetch(url, init);
  };
};

// In the page: the fallback was in force, and what the SDK sent as `credential` to each
// finish endpoint equals the native toJSON() of the credential the browser returned.
async function fallbackMatchesToJSON(page, what) {
  const out = await page.evaluate(() => {
    const sort = (v) =>
      Array.isArray(v) ? v.map(sort)
        : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]))
          : v;
    const P = window.PublicKeyCredential;
    const finishes = window.__sent.filter((s) => s.url.endsWith('/finish'));
    return {
      helpersGone: !P.parseCreationOptionsFromJSON && !P.parseRequestOptionsFromJSON && !P.prototype.toJSON,
      pairs: window.__credentials.map((c, i) => ({
        native: JSON.stringify(sort(window.__nativeToJSON.call(c))),
        sent: finishes[i] && JSON.stringify(sort(finishes[i].body.credential)),
        keys: finishes[i] && Object.keys(finishes[i].body).sort(),
      })),
    };
  });
  check(out.helpersGone, `${what}: the browser's JSON helpers were deleted`);
  checkEqual(out.pairs.length, 1, `${what}: one credential`);
  const [{ native, sent, keys }] = out.pairs;
  checkEqual(sent, native, `${what}: the fallback JSON is the browser's toJSON()`);
  return keys;
}

async function snap(page, name) {
  await page.screenshot({ path: join(artifactsDir(), `embedded-${name}.png`), fullPage: true });
}

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

// In the page: the signed-in user's name per the SDK's getSession(), or null.
function sessionUser(page) {
  return page.evaluate(async () => {
    const sdk = await import('/.passgate/sdk.js');
    const s = await sdk.getSession();
    return s && s.identity.username;
  });
}

// Waits until the passkeys page lists `n` passkeys.
async function listed(page, n, what) {
  const deadline = Date.now() + 15000;
  let count;
  while (Date.now() < deadline) {
    count = await page.locator('#list li').count();
    if (count === n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: ${count} passkeys listed, expected ${n}`);
}

async function landedHome(device, what) {
  await device.page.waitForURL(`${base}/`, { timeout: 15000 });
  const h1 = await device.page.locator('h1').innerText();
  checkEqual(h1, 'Hello, erin', `${what}: the app got erin from passgate`);
}

await run('embedded', async (browser) => {
  check(appLink && appLink.startsWith(`${base}/passkeys/bind?token=`), 'PASSGATE_APP_BIND_LINK', appLink);
  check(suspendedLink && suspendedLink.startsWith(`${base}/passkeys/bind?token=`), 'PASSGATE_SUSPENDED_LINK');

  // Enrolment on the app's own page. First cancelled (user verification refused): a typed
  // error, and the link still works; then the passkey is made and the user signed in.
  const owner = await newDevice(browser);
  const opened = await owner.page.goto(appLink);
  checkEqual(opened.status(), 200, 'the app serves its enrolment page without a session');
  await owner.cdp.send('WebAuthn.setUserVerified', { authenticatorId: owner.authenticatorId, isUserVerified: false });
  await owner.page.getByRole('button', { name: 'Create passkey' }).click();
  checkEqual(await shownCode(owner.page, 'cancelled bind'), 'NotAllowed', 'a cancelled ceremony is NotAllowed');
  checkEqual((await credentials(owner)).length, 0, 'nothing stored after the cancel');
  await owner.cdp.send('WebAuthn.setUserVerified', { authenticatorId: owner.authenticatorId, isUserVerified: true });
  await owner.page.getByRole('button', { name: 'Create passkey' }).click();
  await owner.page.getByText('Your passkey is ready').waitFor({ timeout: 15000 });
  checkEqual(await owner.page.locator('#who').innerText(), 'erin', 'bindPasskey names the identity');
  await snap(owner.page, 'bound');
  const ownerKeys = await credentials(owner);
  checkEqual(ownerKeys.length, 1, 'one passkey on the first device');
  check(ownerKeys[0].isResidentCredential, 'discoverable');
  checkEqual(await sessionUser(owner.page), 'erin', 'getSession() after binding');
  await owner.page.goto(`${base}/`);
  await landedHome(owner, 'after binding');

  // The same link again: Expired (used); a made-up token: InvalidToken from passgate; no
  // token at all: InvalidToken before any request.
  const other = await newDevice(browser);
  await other.page.goto(appLink);
  await other.page.getByRole('button', { name: 'Create passkey' }).click();
  checkEqual(await shownCode(other.page, 'used link'), 'Expired', 'a used link is Expired');
  check(await other.page.getByRole('button', { name: 'Create passkey' }).isDisabled(), 'a used link cannot be retried');
  await snap(other.page, 'used-link');
  await other.page.goto(`${base}/passkeys/bind?token=${'A'.repeat(43)}`);
  await other.page.getByRole('button', { name: 'Create passkey' }).click();
  checkEqual(await shownCode(other.page, 'unknown token'), 'InvalidToken', 'an unknown token');
  await other.page.goto(`${base}/passkeys/bind`);
  checkEqual(await shownCode(other.page, 'no token'), 'InvalidToken', 'a link without a token');
  await other.page.goto(suspendedLink);
  await other.page.getByRole('button', { name: 'Create passkey' }).click();
  checkEqual(await shownCode(other.page, 'suspended'), 'Suspended', 'the link of a suspended account');
  checkEqual((await credentials(other)).length, 0, 'no passkey from bad links');

  // The passkeys page: one passkey; a link for another device, on the app's own page.
  await owner.page.goto(`${base}/passkeys`);
  await listed(owner.page, 1, 'first device');
  checkEqual(await owner.page.locator('#who').innerText(), 'erin', 'getSession() on the passkeys page');
  await owner.page.getByRole('button', { name: 'Add a passkey on another device' }).click();
  await owner.page.locator('#link').filter({ hasText: 'token=' }).waitFor({ timeout: 15000 });
  const secondLink = await owner.page.locator('#link').innerText();
  check(secondLink.startsWith(`${base}/passkeys/bind?token=`), 'the link opens the app page', secondLink);

  // A second device binds through the fallback path (no JSON helpers in the browser).
  const second = await newDevice(browser);
  await second.context.addInitScript(NO_JSON_HELPERS);
  await second.page.goto(secondLink);
  await second.page.getByRole('button', { name: 'Create passkey' }).click();
  await second.page.getByText('Your passkey is ready').waitFor({ timeout: 15000 });
  const bindKeys = await fallbackMatchesToJSON(second.page, 'bind');
  checkEqual(bindKeys, ['ceremony', 'credential'], 'bind/finish gets exactly ceremony and credential');

  // On the second device: two passkeys; rename and remove the first device's.
  await second.page.goto(`${base}/passkeys`);
  await listed(second.page, 2, 'second device');
  const firstId = Buffer.from(ownerKeys[0].credentialId, 'base64').toString('base64url');
  const firstItem = second.page.locator(`#list li[data-credential-id="${firstId}"]`);
  checkEqual(await firstItem.count(), 1, 'the first device passkey is listed by credential id');
  await firstItem.locator('input').fill('Old laptop');
  await firstItem.getByRole('button', { name: /^Rename / }).click();
  await second.page.getByText('Renamed to Old laptop.').waitFor({ timeout: 15000 });
  checkEqual(await firstItem.locator('input').inputValue(), 'Old laptop', 'the list shows the new name');
  await snap(second.page, 'passkeys');
  await firstItem.getByRole('button', { name: /^Remove / }).click();
  await second.page.getByText('Removed Old laptop.').waitFor({ timeout: 15000 });
  await listed(second.page, 1, 'after removing');
  // Removing a passkey ends the sessions it began: the first device is signed out.
  checkEqual(await sessionUser(owner.page), null, 'the first device is signed out');
  const bounced = await owner.page.goto(`${base}/`);
  check(bounced.url().startsWith(`${base}/signin?rd=`), 'and sent to sign in', bounced.url());
  // The last passkey stays.
  await second.page.locator('#list li').first().getByRole('button', { name: /^Remove / }).click();
  checkEqual(await shownCode(second.page, 'last passkey'), 'Conflict', 'the only passkey cannot be removed');

  // Sign-in with the button (autofill off), back to rd. Each device copies the last one
  // used: a copy continues from the sign count it was copied with.
  const button = await copyToNewDevice(browser, second);
  await button.context.addInitScript(NO_AUTOFILL);
  await button.page.goto(`${base}/signin?rd=${encodeURIComponent('/passkeys')}`);
  await snap(button.page, 'signin');
  await Promise.all([
    button.page.waitForURL(`${base}/passkeys`, { timeout: 15000 }),
    button.page.getByRole('button', { name: 'Sign in with a passkey' }).click(),
  ]);
  await button.page.locator('#list li').first().waitFor({ timeout: 15000 });

  // Autofill (conditional UI): the virtual authenticator answers at once, no click.
  const autofill = await copyToNewDevice(browser, button);
  await autofill.page.goto(`${base}/signin`);
  await landedHome(autofill, 'autofill');

  // The button while autofill waits: the SDK aborts autofill's request first.
  const both = await copyToNewDevice(browser, autofill);
  await both.context.addInitScript(PENDING_AUTOFILL);
  await both.page.goto(`${base}/signin`);
  await both.page.waitForTimeout(300);
  await both.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await landedHome(both, 'button over autofill');
  const abortedFirst = await both.page.evaluate(() => sessionStorage.getItem('autofillAborted'));
  checkEqual(abortedFirst, '1', 'the pending autofill request was aborted for the button');

  // Username first.
  const named = await copyToNewDevice(browser, both);
  await named.context.addInitScript(NO_AUTOFILL);
  await named.page.goto(`${base}/signin`);
  await named.page.getByLabel('Username').fill('erin');
  await named.page.getByRole('button', { name: 'Continue' }).click();
  await landedHome(named, 'username first');

  // Sign-in through the fallback path (called in the page), then sign out.
  const fallback = await copyToNewDevice(browser, named);
  await fallback.context.addInitScript(NO_AUTOFILL);
  await fallback.context.addInitScript(NO_JSON_HELPERS);
  await fallback.page.goto(`${base}/signin`);
  const signedIn = await fallback.page.evaluate(async () => {
    const sdk = await import('/.passgate/sdk.js');
    const r = await sdk.authenticate();
    return [r.identity.username, r.redirectUrl];
  });
  checkEqual(signedIn, ['erin', '/'], 'authenticate() through the fallback');
  const signinKeys = await fallbackMatchesToJSON(fallback.page, 'sign-in');
  checkEqual(signinKeys, ['ceremony', 'credential'], 'authenticate/finish without rd gets no rd');
  await fallback.page.goto(`${base}/`);
  await landedHome(fallback, 'fallback');
  await snap(fallback.page, 'home');
  await Promise.all([
    fallback.page.waitForURL(`${base}/signin`, { timeout: 15000 }),
    fallback.page.getByRole('button', { name: 'Sign out' }).click(),
  ]);
  checkEqual(await sessionUser(fallback.page), null, 'signed out');
  const cookies = await fallback.context.cookies(base);
  check(!cookies.some((c) => c.name === 'passgate_session' && c.value), 'the cookie is cleared', cookies);
  const out = await fallback.page.goto(`${base}/`);
  check(out.url().startsWith(`${base}/signin?rd=`), 'signed out: sent to sign in', out.url());

  // Typed errors of sign-in: cancelled (user verification refused), aborted by the caller,
  // signed out, and a passgate that cannot be reached.
  const cancel = await copyToNewDevice(browser, fallback);
  await cancel.context.addInitScript(NO_AUTOFILL);
  await cancel.page.goto(`${base}/signin`);
  await cancel.cdp.send('WebAuthn.setUserVerified', { authenticatorId: cancel.authenticatorId, isUserVerified: false });
  await cancel.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  checkEqual(await shownCode(cancel.page, 'cancelled sign-in'), 'NotAllowed', 'a cancelled sign-in');
  checkEqual(cancel.page.url(), `${base}/signin`, 'still on the sign-in page');
  await cancel.cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: cancel.authenticatorId, enabled: false });
  const aborted = await cancel.page.evaluate(async () => {
    const sdk = await import('/.passgate/sdk.js');
    const c = new AbortController();
    setTimeout(() => c.abort(), 300);
    return sdk.authenticate({ signal: c.signal }).then(() => 'signed in', (e) => [e.name, e.code]);
  });
  checkEqual(aborted, ['PassgateError', 'Aborted'], 'aborted by the caller');
  const signedOut = await cancel.page.evaluate(async () => {
    const sdk = await import('/.passgate/sdk.js');
    return sdk.getPasskeys().then(() => 'listed', (e) => [e.code, e.status, e.serverCode]);
  });
  checkEqual(signedOut, ['Unauthenticated', 401, 'unauthorized'], 'getPasskeys() signed out');
  // A document without the app's CSP (connect-src 'self' would refuse the fetch itself).
  await cancel.page.goto(`${base}/static/app.css`);
  const unreachable = await cancel.page.evaluate(async () => {
    const sdk = await import('/.passgate/sdk.js');
    const client = await sdk.Embedded.initialize({ baseUrl: 'http://localhost:9' });
    return client.getSession().then(() => 'answered', (e) => [e.code, client.baseUrl]);
  });
  checkEqual(unreachable, ['Network', 'http://localhost:9'], 'an unreachable passgate');

  // A response passgate cannot verify.
  const tampered = await copyToNewDevice(browser, fallback);
  await tampered.context.addInitScript(NO_AUTOFILL);
  await tampered.context.addInitScript(TAMPERED);
  await tampered.page.goto(`${base}/signin`);
  await tampered.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  checkEqual(await shownCode(tampered.page, 'tampered'), 'VerificationFailed', 'a bad signature');

  // A device without a passkey: autofill fails quietly; the button explains.
  const empty = await newDevice(browser);
  await empty.page.goto(`${base}/signin`);
  await empty.page.waitForTimeout(500);
  checkEqual(await empty.page.locator('#status').innerText(), '', 'autofill failure is quiet');
  await empty.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  checkEqual(await shownCode(empty.page, 'no passkey'), 'NotAllowed', 'no passkey on this device');

  // Last (it locks this client address out of ceremonies for a minute): too many attempts.
  const limited = await empty.page.evaluate(async () => {
    const sdk = await import('/.passgate/sdk.js');
    for (let i = 0; i < 100; i++) {
      const e = await sdk.authenticate({ username: 'nobody' }).then(() => null, (err) => err);
      if (e && e.code !== 'NotAllowed') return [i, e.code, e.status, e.retryAfter > 0];
    }
    return 'never limited';
  });
  check(Array.isArray(limited) && limited[0] > 0, 'rate limited after some attempts', limited);
  checkEqual(limited.slice(1), ['RateLimited', 429, true], 'RateLimited with retryAfter');
});

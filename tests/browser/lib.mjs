//! Browser-test helpers: Debian's Chromium through playwright-core, one page per context,
// each with a WebAuthn virtual authenticator (CTAP2, internal, resident keys, UV).
//
// Contract for `<name>.test.mjs`: read the base URL from PASSGATE_URL (see `baseUrl()`),
// exit 0 on success, non-zero with a message on failure. `run()` does the last part.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const CHROMIUM = process.env.PASSGATE_CHROMIUM || '/usr/bin/chromium';

// Flags that work as root with no network (see shared/testing-notes.md).
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const VIRTUAL_AUTHENTICATOR = {
  protocol: 'ctap2',
  ctap2Version: 'ctap2_1',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
};

/** The gateway's base URL (`http://localhost:PORT`, never an IP: WebAuthn refuses those). */
export function baseUrl() {
  const url = process.env.PASSGATE_URL;
  if (!url) throw new Error('PASSGATE_URL is not set');
  return url.replace(/\/+$/, '');
}

/** Launches Chromium (never a downloaded browser). */
export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * A fresh context with one page (create() needs focus: one page per context), a CDP
 * session, and a virtual authenticator. Returns { context, page, cdp, authenticatorId }.
 */
export async function newDevice(browser, { authenticator = VIRTUAL_AUTHENTICATOR } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: authenticator,
  });
  return { context, page, cdp, authenticatorId };
}

/** The passkeys the device's virtual authenticator holds (CDP `WebAuthn.Credential`s). */
export async function credentials(device) {
  const { credentials } = await device.cdp.send('WebAuthn.getCredentials', {
    authenticatorId: device.authenticatorId,
  });
  return credentials;
}

/**
 * A fresh context (no cookies) whose authenticator holds copies of `from`'s passkeys:
 * a second device, or the same person in a browser that is signed out.
 */
export async function copyToNewDevice(browser, from) {
  const device = await newDevice(browser);
  for (const credential of await credentials(from)) {
    await device.cdp.send('WebAuthn.addCredential', {
      authenticatorId: device.authenticatorId,
      credential,
    });
  }
  return device;
}

/** Throws with `message` (and the values) unless `cond`. */
export function check(cond, message, ...values) {
  if (!cond) {
    const detail = values.length ? ` ${values.map((v) => JSON.stringify(v)).join(' ')}` : '';
    throw new Error(`assertion failed: ${message}${detail}`);
  }
}

/** Throws unless `actual` deep-equals `expected` (compared as JSON). */
export function checkEqual(actual, expected, message) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`assertion failed: ${message}: got ${a}, expected ${e}`);
}

/** Where screenshots go: $PASSGATE_ARTIFACTS, else ./artifacts. */
export function artifactsDir() {
  const dir = process.env.PASSGATE_ARTIFACTS || join(process.cwd(), 'artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Runs `body(browser)` and exits: 0 on success; 1 with the error, after a screenshot of
 * every open page into artifactsDir(), on failure.
 */
export async function run(name, body) {
  let browser;
  let failed = false;
  try {
    browser = await launch();
    await body(browser);
    console.log(`ok: ${name}`);
  } catch (err) {
    failed = true;
    console.error(`FAILED: ${name}: ${err && err.stack ? err.stack : err}`);
    if (browser) await screenshots(browser, name);
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
  process.exit(failed ? 1 : 0);
}

async function screenshots(browser, name) {
  const dir = artifactsDir();
  let n = 0;
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      const path = join(dir, `${name}-${n++}.png`);
      try {
        await page.screenshot({ path, fullPage: true });
        console.error(`screenshot: ${path} (${page.url()})`);
      } catch (e) {
        console.error(`screenshot failed: ${e}`);
      }
    }
  }
}

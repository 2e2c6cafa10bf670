// Browser test: an administrator chooses a password through a one-time link, logs in, is made
// to enrol TOTP, logs out, and logs in again with password and TOTP code, in Debian's headless
// Chromium driven by playwright-core.
//
//   C981_URL=http://127.0.0.1:PORT C981_LINK=/password/TOKEN node tests/browser/login-totp.mjs
//
// C981_URL: the server's base URL. C981_LINK: the path (or full URL) of the account's one-time
// password link, as printed by `c981 admin create-user`. C981_CHROMIUM overrides the browser
// binary (default /usr/bin/chromium). Exits 0 on success; on failure prints what went wrong and
// the path of a screenshot, and exits 1 (2 when the whole run exceeds 90 s).

import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.C981_URL ?? '').replace(/\/+$/, '');
const LINK = process.env.C981_LINK ?? '';
const EXECUTABLE = process.env.C981_CHROMIUM || '/usr/bin/chromium';
const PASSWORD = 'Pump-station 7 valve cadence!';
const USERNAME = 'ada';
const DISPLAY_NAME = 'Ada Admin';
const TOTAL_MS = 90_000;

if (!BASE || !LINK) {
  console.error('login-totp: set C981_URL (server base URL) and C981_LINK (one-time password link path)');
  process.exit(64);
}

// ---------------------------------------------------------------------------------------
// TOTP (RFC 6238 over RFC 4226: HMAC-SHA1, 30-second steps, 6 digits)

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.toUpperCase().replace(/[\s=]/g, '');
  const out = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${JSON.stringify(ch)} in the TOTP key`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

function totp(key, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(bin).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// The run

const started = Date.now();
const log = (msg) => console.log(`[login-totp +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

let browser;
let page;
let lastWrite = null; // the last state-changing request: method, URL, Origin (for failure reports)

async function fail(err, code) {
  console.error(`login-totp FAILED: ${err?.stack ?? err}`);
  if (page) {
    try {
      console.error(`  at ${page.url()} (title: ${JSON.stringify(await page.title())})`);
      if (lastWrite) console.error(`  last form submission: ${lastWrite}`);
      const shot = join(tmpdir(), `c981-login-totp-${Date.now()}.png`);
      await page.screenshot({ path: shot, fullPage: true, timeout: 5_000 });
      console.error(`  screenshot: ${shot}`);
      const text = (await page.locator('body').innerText({ timeout: 2_000 })).replace(/\s+/g, ' ').trim();
      console.error(`  page text: ${text.slice(0, 1500)}`);
    } catch (e) {
      console.error(`  (no screenshot: ${e.message})`);
    }
  }
  await browser?.close().catch(() => {});
  process.exit(code);
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

async function expectPath(path) {
  await page.waitForURL((u) => u.pathname === path, { timeout: 10_000 }).catch(() => {
    throw new Error(`expected to be at ${path}, but the browser is at ${page.url()}`);
  });
}

async function main() {
  browser = await chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    timeout: 30_000,
  });
  const context = await browser.newContext({ baseURL: BASE });
  page = await context.newPage();
  page.on('request', async (req) => {
    if (req.method() === 'GET' || req.method() === 'HEAD') return;
    const origin = (await req.allHeaders().catch(() => ({}))).origin;
    lastWrite = `${req.method()} ${new URL(req.url()).pathname} with Origin: ${origin ?? '(none)'}`;
  });
  page.setDefaultTimeout(10_000);
  page.setDefaultNavigationTimeout(15_000);

  // 1. The one-time link: choose a password.
  const link = LINK.startsWith('http') ? LINK : `${BASE}${LINK.startsWith('/') ? '' : '/'}${LINK}`;
  log(`open the password link ${new URL(link).pathname.replace(/[^/]+$/, '…')}`);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
  await page.locator('#f-password').fill(PASSWORD);
  await page.locator('#f-confirm').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set the password' }).click();
  await page.getByRole('heading', { name: 'Password set' }).waitFor();
  log('password set');

  // 2. Log in with the password: an administrator must enrol a second factor first.
  await logInWithPassword();
  await expectPath('/account/mfa');
  await page.getByRole('heading', { name: 'Set up your second factor' }).waitFor();
  const shown = (await page.locator('.secret-box code.secret').innerText()).trim();
  expect(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/.test(shown), `the TOTP key is not base32 in groups of 4: ${JSON.stringify(shown)}`);
  const key = base32Decode(shown.replace(/ /g, ''));
  expect(key.length >= 16, `the TOTP key is only ${key.length} bytes`);
  log(`enrolment page shows a ${key.length}-byte key`);

  const enrolStep = stepNow();
  await page.locator('#f-code').fill(totp(key, enrolStep));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('heading', { name: 'Second factor turned on' }).waitFor();
  const codes = await page.locator('ol.recovery-codes li').allInnerTexts();
  expect(codes.length === 10, `expected 10 recovery codes, the page shows ${codes.length}`);
  expect(new Set(codes).size === 10, `the recovery codes are not all different: ${codes.join(', ')}`);
  log('TOTP enrolled; 10 recovery codes shown');

  // 3. Log out with the button in the top bar.
  await page.locator('header.topbar form.logout').getByRole('button', { name: 'Log out' }).click();
  await expectPath('/login');
  await page.getByText('You are logged out.').waitFor();
  log('logged out');

  // 4. Log in again: password, then the second factor.
  await logInWithPassword();
  await expectPath('/login/totp');
  await page.getByRole('heading', { name: 'Second factor' }).waitFor();

  // A wrong code is refused with a message (one that matches no step the server accepts).
  const near = new Set([-1, 0, 1].map((d) => totp(key, stepNow() + d)));
  let wrong = '000000';
  for (let n = 1; near.has(wrong); n++) wrong = String(n * 111111 % 1_000_000).padStart(6, '0');
  await page.locator('#f-code').fill(wrong);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('#f-code-error').filter({ hasText: 'Code is not valid' }).waitFor();
  expect(new URL(page.url()).pathname === '/login/totp', `a wrong code left the page: ${page.url()}`);
  expect((await page.locator('#f-code').getAttribute('aria-invalid')) === 'true', 'the code field is not marked invalid');
  log('a wrong code is refused');

  // The step used at enrolment cannot be used again: wait for the next one if need be.
  if (stepNow() <= enrolStep) {
    const waitMs = (enrolStep + 1) * 30_000 - Date.now() + 250;
    log(`waiting ${(waitMs / 1000).toFixed(1)} s for the next 30-s step (the enrolment's step is used)`);
    await sleep(waitMs);
  }
  const loginStep = stepNow();
  expect(loginStep > enrolStep, 'the clock went backwards');
  await page.locator('#f-code').fill(totp(key, loginStep));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expectPath('/');
  await page.locator('header.topbar .user-name').filter({ hasText: DISPLAY_NAME }).waitFor();
  log(`logged in with TOTP: the dashboard shows ${DISPLAY_NAME}`);
}

async function logInWithPassword() {
  await page.goto('/login');
  await page.getByRole('heading', { name: 'Log in to Connect 981' }).waitFor();
  await page.locator('#f-username').fill(USERNAME);
  await page.locator('#f-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.waitForURL((u) => u.pathname !== '/login');
  log(`logged in with the password: now at ${new URL(page.url()).pathname}`);
}

const overall = setTimeout(() => fail(new Error(`the run took more than ${TOTAL_MS / 1000} s`), 2), TOTAL_MS);
try {
  await main();
  clearTimeout(overall);
  await browser.close();
  log('OK');
  process.exit(0);
} catch (err) {
  clearTimeout(overall);
  await fail(err, 1);
}

// The real first load of the landing page, the catalog and a product page (and, for
// comparison, of the sign-in page and of the signed-in pages: the analytics dashboard, the
// client's invoices, finance's invoices and reports): opens each in Chromium (Debian's,
// through Playwright) with an empty cache, waits until it is hydrated and idle, and sums every
// file fetched from /pkg/ (WASM, JS, CSS and any split chunk the page needed at start) and
// /vendor/ (ECharts), sized from the precompressed files the server sends (raw, gzip, brotli).
// Usage: node scripts/first-load.mjs BASE_URL PKG_DIR [BUDGET_KB]
// Budgets: the landing page BUDGET_KB (200), the storefront pages 250 kB, the others none.
// The signed-in pages need FIRST_LOAD_EMAIL / FIRST_LOAD_PASSWORD (an admin without
// two-factor sign-in yet, made by first-load.sh): this script sets up its two-factor sign-in
// as a person does, in the browser.
import { chromium } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';

const [base, pkgDir, budgetArg] = process.argv.slice(2);
const budget = Number(budgetArg ?? 200);
const siteDir = path.dirname(pkgDir);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const kb = (n) => (n / 1000).toFixed(1);
const size = (dir, f) => {
  try {
    return statSync(path.join(siteDir, dir, f)).size;
  } catch {
    return 0;
  }
};

/** Opens `page` in a new context (empty cache; `state`: cookies of a signed-in person), waits
 * for `ready` and prints what came from /pkg/ and /vendor/; returns the /pkg/ brotli bytes. */
async function measure(page, { state, ready, idle = true } = {}) {
  const context = await browser.newContext({ storageState: state });
  const tab = await context.newPage();
  const files = new Map();
  tab.on('request', (r) => {
    const url = new URL(r.url());
    for (const dir of ['pkg', 'vendor']) {
      if (url.pathname.startsWith(`/${dir}/`)) files.set(path.basename(url.pathname), dir);
    }
  });
  // Pages with an open event stream (live updates) never reach "network idle".
  await tab.goto(base + page, { waitUntil: idle ? 'networkidle' : 'load' });
  await tab.waitForSelector('body[data-hydrated="true"]', { timeout: 20_000 });
  if (ready) await tab.waitForSelector(ready, { timeout: 20_000 });
  if (idle) await tab.waitForLoadState('networkidle');
  else await tab.waitForTimeout(1_000);
  if (new URL(tab.url()).pathname !== page.split('?')[0]) {
    throw new Error(`${page} ended on ${tab.url()}`);
  }
  console.log(`first load of ${page}:`);
  const sums = { pkg: [0, 0, 0, 0], vendor: [0, 0, 0, 0] };
  for (const [f, dir] of [...files].sort()) {
    const row = [size(dir, f), size(dir, f + '.gz'), size(dir, f + '.br')];
    sums[dir] = [...sums[dir].slice(0, 3).map((v, i) => v + row[i]), sums[dir][3] + 1];
    console.log(`  ${(dir + '/' + f).padEnd(64)} ${String(row[0]).padStart(8)} raw ${String(row[2]).padStart(8)} brotli`);
  }
  for (const dir of ['pkg', 'vendor']) {
    const [raw, gz, br, n] = sums[dir];
    if (n) console.log(`  /${dir}/: ${kb(raw)} kB raw, ${kb(gz)} kB gzip, ${kb(br)} kB brotli (${n} files)`);
  }
  await context.close();
  return sums.pkg[2];
}

const budgets = { '/': budget, '/en': budget, '/shop': 250, '/shop/instagram-follower': 250 };
const over = [];
for (const page of ['/', '/en', '/shop', '/shop/instagram-follower', '/login']) {
  const br = await measure(page);
  const limit = budgets[page];
  if (limit !== undefined) {
    const verdict = br <= limit * 1000 ? 'within' : 'OVER';
    console.log(`  ${verdict} the ${limit} kB budget`);
    if (verdict === 'OVER') over.push(page);
  }
}

/** The six-digit code an authenticator app shows for a base32 `secret` (RFC 6238). */
function totp(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0');
}

if (process.env.FIRST_LOAD_EMAIL) {
  // Signed in, two-factor sign-in set up (finance pages ask for it), a demo Instagram account
  // connected; the measured pages then open in fresh contexts with these cookies.
  const context = await browser.newContext();
  const headers = { Origin: base, Accept: 'application/json' };
  const login = await context.request.post(base + '/api/log_in', {
    form: { email: process.env.FIRST_LOAD_EMAIL, password: process.env.FIRST_LOAD_PASSWORD },
    headers,
  });
  if (!login.ok()) throw new Error(`sign-in failed: ${login.status()}`);
  const tab = await context.newPage();
  await tab.goto(base + '/account/two-factor');
  await tab.waitForSelector('body[data-hydrated="true"]');
  await tab.getByRole('button', { name: 'Authenticator-App einrichten' }).click();
  const secret = (await tab.getByTestId('totp-secret').textContent()).trim();
  await tab.locator('#auth-code').fill(totp(secret));
  await tab.getByRole('button', { name: 'Einschalten' }).click();
  await tab.getByTestId('recovery-codes').waitFor();
  const connected = await context.request.post(base + '/api/analytics_connect_demo', {
    form: { handle: 'bench.shop' },
    headers,
  });
  if (!connected.ok()) throw new Error(`connecting the demo account failed: ${connected.status()}`);
  const account = await connected.json();
  const state = await context.storageState();
  await context.close();

  await measure(`/portal/analytics?account=${account}`, { state, ready: '[data-chart="hours"] canvas', idle: false });
  await measure('/portal/invoices', { state, ready: '[data-testid="no-invoices"], [data-testid="invoices"]' });
  await measure('/finance', { state, ready: '[data-testid="finance-filter"]' });
  await measure('/finance/reports', { state, ready: '[data-testid="export-form"]' });
}

await browser.close();
console.log(over.length ? `over budget: ${over.join(', ')}` : 'every page within its budget');

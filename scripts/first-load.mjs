// The real first load of the landing page, the catalog and a product page (and, for
// comparison, of the sign-in page and the signed-in analytics page): opens each in Chromium (Debian's, through Playwright),
// waits until it is hydrated and the network is idle, and sums every file fetched from /pkg/
// (WASM, JS, CSS and any split chunk the page needed at start), sized from the precompressed
// files the server sends (raw, gzip, brotli).
// Usage: node scripts/first-load.mjs BASE_URL PKG_DIR [BUDGET_KB]
// Budgets: the landing page BUDGET_KB (200), the storefront pages 250 kB, the sign-in page none.
import { chromium } from '@playwright/test';
import { statSync } from 'node:fs';
import path from 'node:path';

const [base, pkgDir, budgetArg] = process.argv.slice(2);
const budget = Number(budgetArg ?? 200);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const budgets = { '/': budget, '/en': budget, '/shop': 250, '/shop/instagram-follower': 250 };
const over = [];
for (const page of ['/', '/en', '/shop', '/shop/instagram-follower', '/login']) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const files = new Set();
  tab.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/pkg/')) files.add(path.basename(url.pathname));
  });
  await tab.goto(base + page, { waitUntil: 'networkidle' });
  await tab.waitForSelector('body[data-hydrated="true"]', { timeout: 20_000 });
  await tab.waitForLoadState('networkidle');
  const size = (f) => {
    try {
      return statSync(path.join(pkgDir, f)).size;
    } catch {
      return 0;
    }
  };
  let [raw, gz, br] = [0, 0, 0];
  console.log(`first load of ${page}:`);
  for (const f of [...files].sort()) {
    const row = [size(f), size(f + '.gz'), size(f + '.br')];
    [raw, gz, br] = [raw + row[0], gz + row[1], br + row[2]];
    console.log(`  ${f.padEnd(60)} ${String(row[0]).padStart(8)} raw ${String(row[2]).padStart(8)} brotli`);
  }
  const kb = (n) => (n / 1000).toFixed(1);
  console.log(`  total: ${kb(raw)} kB raw, ${kb(gz)} kB gzip, ${kb(br)} kB brotli (${files.size} files)`);
  const limit = budgets[page];
  if (limit !== undefined) {
    const verdict = br <= limit * 1000 ? 'within' : 'OVER';
    console.log(`  ${verdict} the ${limit} kB budget`);
    if (verdict === 'OVER') over.push(page);
  }
  await context.close();
}
// The analytics page, signed in (FIRST_LOAD_EMAIL / FIRST_LOAD_PASSWORD, set by
// first-load.sh) with a demo account connected: its own chunks and ECharts (from /vendor),
// counted until every chart has drawn.
if (process.env.FIRST_LOAD_EMAIL) {
  const context = await browser.newContext();
  const headers = { Origin: base, Accept: 'application/json' };
  const login = await context.request.post(base + '/api/log_in', {
    form: { email: process.env.FIRST_LOAD_EMAIL, password: process.env.FIRST_LOAD_PASSWORD },
    headers,
  });
  if (!login.ok()) throw new Error(`sign-in for the analytics page failed: ${login.status()}`);
  const connected = await context.request.post(base + '/api/analytics_connect_demo', {
    form: { handle: 'bench.shop' },
    headers,
  });
  const account = await connected.json();
  const tab = await context.newPage();
  const files = new Map();
  tab.on('request', (r) => {
    const url = new URL(r.url());
    for (const dir of ['pkg', 'vendor']) {
      if (url.pathname.startsWith(`/${dir}/`)) files.set(path.basename(url.pathname), dir);
    }
  });
  // Not "network idle": the page keeps its event stream (live updates) open.
  await tab.goto(`${base}/portal/analytics?account=${account}`, { waitUntil: 'load' });
  await tab.waitForSelector('body[data-hydrated="true"]', { timeout: 20_000 });
  await tab.waitForSelector('[data-chart="hours"] canvas', { timeout: 20_000 });
  await tab.waitForTimeout(1_000);
  const siteDir = path.dirname(pkgDir);
  const size = (dir, f) => {
    try {
      return statSync(path.join(siteDir, dir, f)).size;
    } catch {
      return 0;
    }
  };
  console.log('first load of /portal/analytics (signed in, charts drawn):');
  const sums = { pkg: [0, 0, 0], vendor: [0, 0, 0] };
  for (const [f, dir] of [...files].sort()) {
    const row = [size(dir, f), size(dir, f + '.gz'), size(dir, f + '.br')];
    sums[dir] = sums[dir].map((v, i) => v + row[i]);
    console.log(`  ${(dir + '/' + f).padEnd(60)} ${String(row[0]).padStart(8)} raw ${String(row[2]).padStart(8)} brotli`);
  }
  const kb = (n) => (n / 1000).toFixed(1);
  for (const dir of ['pkg', 'vendor']) {
    const [raw, gz, br] = sums[dir];
    console.log(`  ${dir}: ${kb(raw)} kB raw, ${kb(gz)} kB gzip, ${kb(br)} kB brotli`);
  }
  await context.close();
}

await browser.close();
console.log(over.length ? `over budget: ${over.join(', ')}` : 'every page within its budget');

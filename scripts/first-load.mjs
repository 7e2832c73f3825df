// The real first load of the landing page (and, for comparison, of the sign-in page): opens it in Chromium (Debian's, through Playwright),
// waits until it is hydrated and the network is idle, and sums every file fetched from /pkg/
// (WASM, JS, CSS and any split chunk the page needed at start), sized from the precompressed
// files the server sends (raw, gzip, brotli).
// Usage: node scripts/first-load.mjs BASE_URL PKG_DIR [BUDGET_KB]
import { chromium } from '@playwright/test';
import { statSync } from 'node:fs';
import path from 'node:path';

const [base, pkgDir, budgetArg] = process.argv.slice(2);
const budget = Number(budgetArg ?? 200);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
let worst = 0;
// The budget is for the landing page; the sign-in page shows what a lazy page adds.
for (const page of ['/', '/en', '/login']) {
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
  if (page !== '/login') worst = Math.max(worst, br);
  await context.close();
}
await browser.close();
const verdict = worst <= budget * 1000 ? 'within' : 'OVER';
console.log(`largest first load: ${(worst / 1000).toFixed(1)} kB brotli, ${verdict} the ${budget} kB budget`);

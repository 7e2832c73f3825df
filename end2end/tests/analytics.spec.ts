import { test, expect, type Page } from '@playwright/test';
import { hydrated } from './helpers';

const run = Date.now().toString(36);

/** Waits until ECharts has drawn into the chart `id` (a canvas inside its box). */
async function drawn(page: Page, id: string) {
  await expect(page.locator(`[data-chart="${id}"] canvas`).first()).toBeVisible({ timeout: 20_000 });
}

test('a client connects a demo account, sees every chart filled, changes the range, exports CSV and watches a sync arrive', async ({
  page,
}) => {
  test.setTimeout(120_000);
  // The demo client of a local installation: signed in through the local OpenID Connect
  // server standing in for Google (scripts/e2e-serve.sh), as on `make run`.
  await page.goto('/login');
  await hydrated(page);
  await page.getByRole('button', { name: 'Weiter mit Google' }).click();
  await page.waitForURL('**/account');
  await page.goto('/portal');
  await hydrated(page);
  await page.getByTestId('dashboard-analytics-link').click();
  await expect(page).toHaveURL(/\/portal\/analytics$/);
  await expect(page.getByTestId('demo-mode')).toBeVisible();

  // A handle that is none is explained; a real one connects, and the worker fills a year.
  const form = page.getByTestId('connect-demo');
  await form.locator('input[name="handle"]').fill('no spaces here');
  await form.getByRole('button').click();
  await expect(page.getByTestId('form-error')).toBeVisible();
  await form.locator('input[name="handle"]').fill(`@shop.${run}`);
  await form.getByRole('button').click();
  await expect(page).toHaveURL(/\?account=/);
  await expect(page.getByTestId('account').filter({ hasText: `@shop.${run}` })).toBeVisible();
  await expect(page.getByTestId('demo-badge').first()).toBeVisible();

  // The first sync lands while the page is open: the dashboard fills by itself.
  const followers = page.getByTestId('kpi-followers').getByTestId('kpi-value');
  await expect(followers).not.toHaveText('–', { timeout: 30_000 });
  for (const id of ['followers', 'views', 'engagement', 'hours']) {
    await drawn(page, id);
  }
  await expect(page.getByTestId('post').first()).toBeVisible();
  // German number formats in the figures and the tables behind the charts.
  await expect(followers).toHaveText(/^\d{1,3}(\.\d{3})*$/);
  await page.getByTestId('chart-followers').getByText('Als Tabelle').click();
  await expect(page.getByTestId('table-followers').locator('tbody tr')).toHaveCount(30);

  // Another range: a year by weeks.
  await page.getByTestId('range-365').click();
  await expect(page.getByTestId('table-followers').locator('tbody tr')).toHaveCount(53, { timeout: 15_000 });
  await drawn(page, 'followers');

  // Every series as CSV.
  const csvHref = (await page.getByTestId('csv-followers').getAttribute('href'))!;
  const csv = await page.request.get(csvHref);
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toContain('text/csv');
  const body = await csv.text();
  expect(body).toContain('Zeitraum ab;Follower;Neue Follower');
  expect(body.trim().split('\n').length).toBeGreaterThan(50);

  // A sync run now reaches the open dashboard without a reload (server-sent events).
  const body_ = page.getByTestId('dashboard-body');
  const before = Number(await body_.getAttribute('data-news'));
  await page.getByTestId('sync-now').click();
  await expect(page.getByTestId('sync-answer')).toBeVisible();
  await expect(async () => {
    expect(Number(await page.getByTestId('dashboard-body').getAttribute('data-news'))).toBeGreaterThan(before);
  }).toPass({ timeout: 30_000 });
  await drawn(page, 'followers');
});

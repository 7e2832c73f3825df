import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const run = Date.now().toString(36);
const password = 'pferd batterie heftklammer richtig';

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** `make admin EMAIL=…` as an operator runs it: returns the set-password link it prints. */
function createAdmin(email: string, baseURL: string): string {
  const bin = path.join(process.env.CARGO_TARGET_DIR ?? 'target', 'debug', 'server');
  const out = execFileSync(bin, ['create-admin', email], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: {
      ...process.env,
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/growthdesk_e2e',
      PUBLIC_URL: baseURL,
      RUST_LOG: 'warn',
    },
  }).toString();
  const link = out.match(/http\S+\/reset-password\?token=\S+/);
  expect(link, out).not.toBeNull();
  return link![0];
}

test('an admin made with create-admin grants finance, and the audit log shows it', async ({ page, request, baseURL }) => {
  const customer = `kunde.${run}@example.de`;
  const res = await request.post('/api/sign_up', {
    form: { email: customer, password, lang: 'de' },
    headers: { origin: baseURL!, accept: 'application/json' },
  });
  expect(res.status()).toBe(200);

  const admin = `chef.${run}@example.de`;
  await page.goto(createAdmin(admin, baseURL!));
  await hydrated(page);
  await page.locator('#auth-password').fill(password);
  await page.getByRole('button', { name: 'Passwort speichern' }).click();
  await expect(page.getByTestId('notice')).toContainText('Ihr neues Passwort gilt');
  await page.locator('#auth-email').fill(admin);
  await page.locator('#auth-password').fill(password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await expect(page.getByTestId('account-roles')).toHaveText('admin');

  await page.goto('/admin/users');
  await hydrated(page);
  await page.getByTestId('user-search').fill(customer);
  const row = page.locator(`[data-testid=user-row][data-email="${customer}"]`);
  await expect(row.getByTestId('user-roles')).toHaveText('client');
  await row.getByTestId('toggle-finance').click();
  await expect(row.getByTestId('user-roles')).toHaveText('client, finance');

  await page.goto('/admin/audit');
  await hydrated(page);
  await page.getByTestId('audit-filter').fill('role');
  const grant = page.getByTestId('audit-row').filter({ hasText: 'role.grant' }).filter({ hasText: 'finance' }).first();
  await expect(grant).toBeVisible();
});

test('the admin pages refuse people without the admin role', async ({ page }) => {
  await page.goto('/admin/users');
  await expect(page.getByTestId('admin-denied')).toHaveText('Bitte melden Sie sich an.');
});

import { test, expect } from '@playwright/test';
import { createAdmin, hydrated, totp } from './helpers';

const run = Date.now().toString(36);
const password = 'pferd batterie heftklammer richtig';

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

  // Nothing of the admin role opens before two-factor sign-in is set up.
  await page.goto('/admin/users');
  await hydrated(page);
  await expect(page.getByTestId('load-error')).toContainText('zweiten Faktor');
  await page.getByTestId('load-error').getByTestId('way-on').click();
  await page.waitForURL('**/account/two-factor');
  await hydrated(page);
  await expect(page.getByTestId('must-enrol')).toBeVisible();
  await page.getByRole('button', { name: 'Authenticator-App einrichten' }).click();
  await expect(page.getByTestId('totp-qr')).toBeVisible();
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  await page.locator('#auth-code').fill(totp(secret));
  await page.getByRole('button', { name: 'Einschalten' }).click();
  await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
  const codes = await page.getByTestId('recovery-codes').locator('li').allTextContents();
  await expect(page.getByTestId('two-factor-state')).toHaveText('Die Zwei-Faktor-Anmeldung ist eingeschaltet.');

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

  // Signing in again takes the password and then a code; a recovery code works once.
  await page.goto('/account');
  await hydrated(page);
  await page.getByTestId('logout-form').getByRole('button').click();
  await page.waitForURL((url) => url.pathname === '/');
  for (const attempt of ['first', 'again']) {
    await page.goto('/login');
    await hydrated(page);
    await page.locator('#auth-email').fill(admin);
    await page.locator('#auth-password').fill(password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL('**/login/code');
    await hydrated(page);
    await page.locator('#auth-code').fill(codes[0]);
    await page.getByRole('button', { name: 'Bestätigen' }).click();
    if (attempt === 'first') {
      await page.waitForURL('**/account');
      await hydrated(page);
      await expect(page.getByTestId('two-factor-summary')).toContainText('an.');
      await page.getByTestId('logout-form').getByRole('button').click();
      await page.waitForURL((url) => url.pathname === '/');
    } else {
      await expect(page.locator('#auth-code-error')).toContainText('schon benutzt');
    }
  }
});

test('the admin pages refuse people without the admin role', async ({ page }) => {
  await page.goto('/admin/users');
  await expect(page.getByTestId('not-signed-in')).toContainText('Bitte melden Sie sich an.');
  await expect(page.getByTestId('not-signed-in').getByTestId('way-on')).toHaveAttribute('href', '/login');
});

import { test, expect } from '@playwright/test';
import { hydrated, linkFromOutbox, password } from './helpers';

const run = Date.now().toString(36);

test('sign up, confirm the address from the mail, sign in and out', async ({ page }) => {
  const email = `zoe.${run}@example.de`;
  await page.goto('/signup');
  await hydrated(page);
  await page.locator('#auth-email').fill(email);
  await page.locator('#auth-password').fill('kurz');
  await page.getByRole('button', { name: 'Konto anlegen' }).click();
  await expect(page.locator('#auth-password-error')).toHaveText('Mindestens 8 Zeichen.');

  await page.locator('#auth-password').fill(password);
  await page.getByRole('button', { name: 'Konto anlegen' }).click();
  await expect(page.getByTestId('notice')).toContainText('Bitte bestätigen Sie darin Ihre Adresse');

  // Not yet confirmed: signing in says so.
  await page.goto('/login');
  await hydrated(page);
  await page.locator('#auth-email').fill(email);
  await page.locator('#auth-password').fill(password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await expect(page.getByTestId('form-error')).toContainText('bestätigen Sie zuerst');

  await page.goto(await linkFromOutbox(page, email, 'verify-email'));
  await hydrated(page);
  await page.getByRole('button', { name: 'Adresse bestätigen' }).click();
  await expect(page.getByTestId('notice')).toContainText('Ihre E-Mail-Adresse ist bestätigt');

  await page.locator('#auth-email').fill(email);
  await page.locator('#auth-password').fill('ganz falsches passwort');
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await expect(page.getByTestId('form-error')).toHaveText('E-Mail-Adresse oder Passwort stimmen nicht.');
  await page.locator('#auth-password').fill(password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText(email);
  await expect(page.getByTestId('account-roles')).toHaveText('client');

  await page.getByTestId('logout-form').getByRole('button').click();
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/$/);
  await page.goto('/account');
  await expect(page.getByTestId('not-signed-in')).toBeVisible();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('forgot password sends the same answer for any address', async ({ page }) => {
    await page.goto('/en/forgot-password');
    await page.locator('#auth-email').fill(`nobody.${run}@example.com`);
    await page.getByRole('button', { name: 'Send link' }).click();
    await expect(page).toHaveURL(/\/en\/forgot-password\?sent=1$/);
    await expect(page.getByTestId('notice')).toContainText('If this address has an account');
  });

  test('a wrong password is reported on the sign-in page', async ({ page }) => {
    await page.goto('/en/login');
    await page.locator('#auth-email').fill(`nobody.${run}@example.com`);
    await page.locator('#auth-password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('form-error')).toHaveText('Email address or password is wrong.');
  });
});

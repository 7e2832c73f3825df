import { test, expect } from '@playwright/test';
import { hydrated } from './helpers';

// scripts/e2e-serve.sh configures "Google" as the local OpenID Connect server
// (oauth2-mock-server), which approves at once and signs in oidc.kunde@example.de.

test('sign in through the OpenID Connect provider, see it in the header and account settings', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await expect(page.getByTestId('login-link')).toBeVisible();
  await expect(page.getByTestId('login-providers')).toContainText('oder weiter mit');

  await page.getByRole('button', { name: 'Weiter mit Google' }).click();
  await page.waitForURL('**/account');
  await hydrated(page);
  await expect(page.getByTestId('account-email')).toHaveText('oidc.kunde@example.de');
  await expect(page.getByTestId('viewer-email')).toHaveText('oidc.kunde@example.de');
  await expect(page.getByTestId('admin-link')).toBeHidden();
  await expect(page.getByTestId('login-password')).toContainText('Kein Passwort gesetzt');
  await expect(page.getByTestId('login-google')).toContainText('oidc.kunde@example.de');

  // Google is the only way in: unlinking it is refused with a reason.
  await page.getByTestId('login-google').getByRole('button', { name: 'Trennen' }).click();
  await expect(page.getByTestId('form-error').first()).toContainText('letzte Anmeldemethode');

  // Signing out loads the landing page anew, for a visitor.
  await page.getByTestId('logout-form').getByRole('button').click();
  await page.waitForURL((url) => url.pathname === '/');
  await expect(page.getByTestId('login-link')).toBeVisible();
  await expect(page.getByTestId('viewer-email')).toBeHidden();

  // Cancelling at the provider ends on the sign-in page with a clear message.
  await page.goto('/en/login?provider_error=cancelled&provider=google');
  await hydrated(page);
  await expect(page.getByTestId('provider-error')).toHaveText('Signing in with Google was cancelled.');
});

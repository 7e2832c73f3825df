import { test, expect, type Page } from '@playwright/test';
import { fillBilling, hydrated, signUpAndIn, toCheckout } from './helpers';

const run = Date.now().toString(36);

async function fillCart(page: Page) {
  await toCheckout(page, 'instagram-follower', '5.000 Follower – 59,90 €');
}

test('a client buys through the test gateway and sees the order paid, with its mail', async ({ page }) => {
  const email = `kaufe.${run}@example.de`;
  await signUpAndIn(page, email);
  await fillCart(page);

  // The checkout says payments are tests, and prices the cart.
  await expect(page.getByTestId('test-gateway-notice')).toBeVisible();
  await expect(page.getByTestId('checkout-email')).toHaveText(email);
  await expect(page.getByTestId('checkout-total')).toHaveText('59,90 €');

  await fillBilling(page);
  await page.getByTestId('checkout-terms').check();
  await page.getByTestId('checkout-early-start').check();
  await page.getByTestId('checkout-submit').click();

  // The test gateway's hosted page: plainly a test, the amount due.
  await page.waitForURL('**/test-gateway/pay/**');
  await expect(page.getByTestId('gateway-banner')).toContainText('kein Geld');
  await expect(page.getByTestId('gateway-total')).toHaveText('59,90 €');
  await page.getByTestId('gateway-decline').click();
  await expect(page.getByTestId('gateway-declined')).toBeVisible();
  await page.getByTestId('gateway-pay').click();

  // Back on our order page: paid (confirmed with the gateway, or by its event), and its
  // delivery may already be under way.
  await page.waitForURL(/\/portal\/orders\/[0-9a-f-]+\?session_id=cs_test_/);
  await hydrated(page);
  await expect(page.getByTestId('order-status')).toHaveAttribute('data-status', /^(paid|in_fulfilment)$/);
  await expect(page.getByTestId('order-total')).toHaveText('59,90 €');
  await expect(page.getByTestId('cart-count')).toHaveText('0');

  // The order list has it; the confirmation is in the outbox.
  await page.goto('/portal/orders');
  await hydrated(page);
  await expect(page.getByTestId('order-list')).toContainText(/Bezahlt|In Bearbeitung/);
  await page.goto('/dev/outbox');
  await hydrated(page);
  const mail = page
    .getByTestId('outbox-mail')
    .filter({ has: page.getByTestId('outbox-to').filter({ hasText: email }) })
    .filter({ hasText: 'Ihre Bestellung' });
  await expect(async () => {
    await page.getByTestId('outbox-refresh').click();
    await expect(mail).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
});

test('a payment that fails later leaves the order unpaid and the cart as it was', async ({ page }) => {
  // The delayed method's outcome arrives about 15 seconds after the choice.
  test.setTimeout(90_000);
  await signUpAndIn(page, `spaeter.${run}@example.de`);
  await fillCart(page);
  await fillBilling(page);
  await page.getByTestId('checkout-terms').check();
  await page.getByTestId('checkout-submit').click();
  await page.waitForURL('**/test-gateway/pay/**');
  await page.getByTestId('gateway-later_fails').click();

  // The order waits for the payment, then follows its failure without a reload.
  await page.waitForURL(/\/portal\/orders\//);
  await hydrated(page);
  await expect(page.getByTestId('order-status')).toHaveAttribute('data-status', 'pending_payment');
  await expect(page.getByTestId('order-waiting')).toBeVisible();
  await expect(page.getByTestId('order-status')).toHaveAttribute('data-status', 'cancelled', { timeout: 40_000 });
  await expect(page.getByTestId('cart-count')).toHaveText('1');
});

test('a new shopper makes the account in the checkout, subscribes and manages it', async ({ page }) => {
  test.setTimeout(90_000);
  await toCheckout(page, 'social-media-betreuung');
  // No account yet: it is made right here, and the checkout goes on.
  await page.locator('#guest-email').fill(`abo.${run}@example.de`);
  await page.locator('#guest-password').fill('abo-passwort-2026');
  await page.getByTestId('checkout-sign-up').click();
  await expect(page.getByTestId('checkout-email')).toHaveText(`abo.${run}@example.de`);
  await hydrated(page);
  await fillBilling(page);
  await page.getByTestId('checkout-terms').check();
  await page.getByTestId('checkout-submit').click();

  // A subscription is paid with its first period; no delayed methods are offered.
  await page.waitForURL('**/test-gateway/pay/**');
  await expect(page.getByTestId('gateway-later_succeeds')).toHaveCount(0);
  await page.getByTestId('gateway-pay').click();
  await page.waitForURL(/\/portal\/orders\/[0-9a-f-]+\?session_id=cs_test_/);
  await hydrated(page);
  await expect(page.getByTestId('order-status')).toHaveAttribute('data-status', /^(paid|in_fulfilment)$/);

  // The portal's dashboard lists it; its page manages it.
  await page.getByTestId('portal-link').click();
  await page.waitForURL('**/portal');
  await expect(page.getByTestId('dashboard-subscriptions')).toContainText('Aktiv');
  await page.getByTestId('dashboard-subscriptions-link').click();
  await page.waitForURL('**/portal/subscriptions');
  await hydrated(page);
  const sub = page.getByTestId('subscription');
  await expect(sub).toHaveAttribute('data-status', 'active');
  await page.getByTestId('subscription-cancel').click();
  await expect(page.getByTestId('subscription-when')).toContainText('Gekündigt');
  await page.getByTestId('subscription-resume').click();
  await expect(page.getByTestId('subscription-when')).toContainText('Verlängert sich');

  // The test gateway's billing portal: its test clock renews the subscription.
  await page.getByTestId('subscription-payment-method').click();
  await page.waitForURL('**/test-gateway/billing/**');
  await expect(page.getByTestId('gateway-banner')).toContainText('kein Geld');
  await page.getByTestId('portal-end_of_period').click();
  await page.getByTestId('portal-back').click();
  await page.waitForURL('**/portal/subscriptions');
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('subscription-period')).toHaveCount(2, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
});

import { test, expect } from '@playwright/test';
import { hydrated, signUpAndIn } from './helpers';

const run = Date.now().toString(36);

test('a guest fills the cart, signs up and in, and the cart is still there', async ({ page }) => {
  await page.goto('/shop/instagram-follower');
  await hydrated(page);
  await expect(page.getByTestId('cart-count')).toHaveText('0');

  // A bad handle is refused next to the field; nothing is added.
  await page.getByLabel('5.000 Follower – 59,90 €').check();
  await page.locator('#product-target').fill('kein handle!');
  await page.getByTestId('add-to-cart').click();
  await expect(page.locator('#product-target-error')).toContainText('Instagram-Namen');
  await expect(page.getByTestId('cart-count')).toHaveText('0');

  await page.locator('#product-target').fill('@growth.desk');
  await page.getByTestId('add-to-cart').click();
  // The header's count follows without a reload.
  await expect(page.getByTestId('cart-count')).toHaveText('1');
  await page.getByTestId('go-to-cart').click();
  await expect(page).toHaveURL(/\/cart$/);
  await hydrated(page);
  await expect(page.getByTestId('cart-line')).toHaveCount(1);
  await expect(page.getByTestId('cart-target')).toHaveText('für @growth.desk');
  await expect(page.getByTestId('cart-total')).toHaveText('59,90 €');

  // Two of them: the server prices the change.
  await page.getByTestId('cart-quantity').fill('2');
  await page.getByRole('button', { name: 'Ändern' }).click();
  await expect(page.getByTestId('cart-total')).toHaveText('119,80 €');
  await expect(page.getByTestId('cart-count')).toHaveText('2');

  // A new account, confirmed from the mail, then signed in: the cart came along.
  const email = `kim.${run}@example.de`;
  await signUpAndIn(page, email);
  await expect(page.getByTestId('cart-count')).toHaveText('2');
  // From the account (fully hydrated) to the cart (an islands page): a whole page load.
  await page.getByTestId('cart-link').click();
  await page.waitForURL('**/cart');
  await hydrated(page);
  await expect(page.getByTestId('cart-total')).toHaveText('119,80 €');

  await page.getByTestId('cart-remove').click();
  await expect(page.getByTestId('cart-empty')).toBeVisible();
  await expect(page.getByTestId('cart-count')).toHaveText('0');
});

import { test, expect } from '@playwright/test';
import { hydrated } from './helpers';

test('a shopper finds a product and its price follows the configuration at once', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));

  await page.goto('/');
  await hydrated(page);
  await page.getByTestId('shop-link').click();
  await expect(page).toHaveURL(/\/shop$/);
  // The demo catalog's products on sale (other tests may add their own), never the draft.
  for (const name of ['Instagram-Follower', 'Instagram-Likes', 'Reel-Views', 'Social-Media-Betreuung', 'Starter-Paket']) {
    await expect(page.getByTestId('product-card').filter({ hasText: name })).toHaveCount(1);
  }
  await expect(page.getByTestId('product-card').filter({ hasText: 'TikTok' })).toHaveCount(0);

  // Filtering by category happens in the browser (no full page load: the hydrated flag stays).
  await page.evaluate(() => document.body.setAttribute('data-probe', 'same-document'));
  await page.getByTestId('category-link').filter({ hasText: 'Likes' }).click();
  await expect(page).toHaveURL(/category=likes/);
  await expect(page.getByTestId('product-card')).toHaveCount(1);
  await expect(page.locator('body')).toHaveAttribute('data-probe', 'same-document');

  await page.getByTestId('shop-search').fill('follower');
  await page.getByTestId('shop-search').press('Enter');
  await expect(page).toHaveURL(/q=follower/);
  await expect(page.getByTestId('shop-empty')).toBeVisible();

  await page.goto('/shop?q=follower');
  await hydrated(page);
  await page.getByTestId('product-link').filter({ hasText: 'Instagram-Follower' }).click();
  await expect(page).toHaveURL(/\/shop\/instagram-follower$/);
  // The configurator is a lazy island: choices count once it has hydrated.
  await hydrated(page);
  await expect(page.getByTestId('product-name')).toHaveText('Instagram-Follower');
  const price = page.getByTestId('live-price');
  await expect(price).toHaveText('14,90 €');

  await page.getByLabel('5.000 Follower – 59,90 €').check();
  await expect(price).toHaveText('59,90 €');
  await page.getByLabel('Nachfüll-Garantie (30 Tage) (+ 4,90 €)').check();
  await expect(price).toHaveText('64,80 €');
  await page.getByLabel('Express (1–2 Tage) (+ 9,90 €)').check();
  await expect(price).toHaveText('74,70 €');
  await page.locator('#product-quantity').fill('2');
  await expect(price).toHaveText('149,40 €');
  await page.locator('#product-quantity').fill('0');
  await expect(price).toHaveText('Diese Auswahl ist nicht möglich.');
  expect(errors).toEqual([]);
});

test('a product that is not on sale is a 404 page', async ({ page }) => {
  const res = await page.goto('/shop/tiktok-follower');
  expect(res?.status()).toBe(404);
  await expect(page.getByTestId('load-error')).toBeVisible();
});

test('the Instagram handle is checked when the shopper leaves the field', async ({ page }) => {
  await page.goto('/shop/instagram-follower');
  await hydrated(page);
  const handle = page.locator('#product-target');
  await handle.fill('nicht gültig!');
  await handle.blur();
  await expect(page.locator('#product-target-error')).toContainText('Instagram-Namen bestehen aus');
  await handle.fill('@Cafe.Kranz');
  await handle.blur();
  // Locally there is no Instagram app: the page says only the spelling was checked.
  await expect(page.getByTestId('handle-check')).toContainText('@cafe.kranz: Schreibweise geprüft. (Lokale Installation');
  await expect(page.locator('#product-target-error')).toHaveText('');
});

test('storefront pages follow each other in the browser; other areas load as whole pages', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto('/shop');
  await hydrated(page);
  // Only the islands come alive on storefront pages: no router, no page code.
  await expect(page.locator('meta[name="gd-mode"]')).toHaveAttribute('content', 'islands');
  await page.evaluate(() => document.body.setAttribute('data-probe', 'same-document'));

  await page.getByTestId('product-link').filter({ hasText: 'Instagram-Likes' }).click();
  await expect(page).toHaveURL(/\/shop\/instagram-likes$/);
  await expect(page).toHaveTitle('Instagram-Likes – Growthdesk');
  await expect(page.locator('link[rel="canonical"]')).toHaveCount(1);
  await expect(page.locator('link[rel="canonical"]')).toHaveAttribute('href', /\/shop\/instagram-likes$/);
  await expect(page.locator('h1')).toBeFocused();
  await hydrated(page);
  // The new page's island works: its price follows the choice.
  const price = page.getByTestId('live-price');
  const before = await price.textContent();
  await page.locator('input[name="tier"]').nth(1).check();
  await expect(price).not.toHaveText(before ?? '');

  // A bundle's parts link to their products: a page of the same kind, a new configurator.
  await page.goto('/shop/starter-paket');
  await hydrated(page);
  await page.evaluate(() => document.body.setAttribute('data-probe', 'same-document'));
  await page.getByTestId('bundle-parts').getByRole('link').first().click();
  await expect(page.getByTestId('product-name')).not.toHaveText('Starter-Paket');
  await hydrated(page);
  await expect(page.getByTestId('configurator').locator('input[name="product"]')).not.toHaveValue('starter-paket');

  // Back and forward show the pages again, still in the same document.
  await page.goBack();
  await expect(page.getByTestId('product-name')).toHaveText('Starter-Paket');
  await expect(page).toHaveTitle('Starter-Paket – Growthdesk');
  await expect(page.locator('body')).toHaveAttribute('data-probe', 'same-document');

  // Sign-in is a fully hydrated area: the link loads the whole page, which then works.
  await page.getByTestId('login-link').click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await expect(page.locator('body')).not.toHaveAttribute('data-probe', 'same-document');
  await expect(page.locator('meta[name="gd-mode"]')).toHaveCount(0);
  expect(errors).toEqual([]);
});

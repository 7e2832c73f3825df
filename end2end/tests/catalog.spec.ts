import { test, expect } from '@playwright/test';
import { hydrated, pngPhoto, signedInAdmin } from './helpers';

const run = Date.now().toString(36);

test('an admin creates, prices, illustrates and publishes a product; the shop and the sitemap show it', async ({
  page,
  request,
  baseURL,
}) => {
  await signedInAdmin(page, `katalog.${run}@example.de`, baseURL!);

  // From the header's admin link to the catalog.
  await page.goto('/');
  await hydrated(page);
  // The storefront is an islands page and the admin portal a fully hydrated one: the link
  // loads the whole page, which is used once it has hydrated.
  await page.getByTestId('admin-link').click();
  await page.waitForURL('**/admin/users');
  await hydrated(page);
  await page.getByTestId('admin-nav').getByTestId('nav-catalog').click();
  await expect(page.getByTestId('product-table')).toBeVisible();
  await expect(page.locator('[data-testid=product-row][data-slug=tiktok-follower]').getByTestId('product-state')).toHaveText(
    'Entwurf',
  );
  await page.getByTestId('new-product').click();

  const slug = `story-views-${run}`;
  const form = page.getByTestId('product-form');
  await form.locator('#product-slug').fill(slug);
  await form.locator('#product-category').selectOption('views');
  await form.locator('#product-target').selectOption('handle');
  await form.locator('#product-name_de').fill(`Story-Aufrufe ${run}`);
  await form.locator('#product-name_en').fill(`Story views ${run}`);
  await form.locator('#product-summary_de').fill('Mehr Aufrufe für Ihre Stories');
  await form.locator('#product-unit_de').fill('Aufrufe');
  await form.locator('#product-unit_en').fill('views');
  await page.getByTestId('product-save').click();
  // Saved: the page continues under the product's own address, with its other sections.
  await page.waitForURL(/\/admin\/catalog\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('publish-state')).toHaveText('Entwurf');

  // A broken price line is named; the typed text stays.
  const tiers = page.locator('#price-tiers');
  await tiers.fill('1k | 1000 | 6,90\n5k | fünftausend | 24,90');
  await page.getByTestId('price-save').click();
  await expect(page.locator('#price-tiers-error')).toHaveText('Zeile 2 passt nicht zum Format (siehe Hinweis).');
  await expect(tiers).toHaveValue('1k | 1000 | 6,90\n5k | fünftausend | 24,90');
  await tiers.fill('1k | 1000 | 6,90\n5k | 5000 | 24,90');
  await page.getByTestId('price-save').click();
  await expect(page.getByTestId('price-form').getByTestId('notice')).toContainText('Neuer Preis gilt ab sofort');
  await expect(page.getByTestId('price-history')).toContainText('1k 6,90 €');

  // An image through the plain upload form.
  await page.locator('#image-file').setInputFiles({ name: 'story.png', mimeType: 'image/png', buffer: pngPhoto(900, 600) });
  await page.locator('#image-alt_de').fill('Eine Story auf dem Handy');
  await page.getByTestId('image-upload').click();
  await expect(page.getByTestId('notice').first()).toHaveText('Bild hinzugefügt.');
  await hydrated(page);
  await expect(page.getByTestId('product-image')).toHaveCount(1);
  // Something that is not an image is refused with the reason.
  await page.locator('#image-file').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
  await page.getByTestId('image-upload').click();
  await expect(page.getByTestId('form-error').first()).toHaveText('Das ist kein Bild im Format JPEG, PNG oder WebP.');
  await hydrated(page);
  await expect(page.getByTestId('product-image')).toHaveCount(1);

  await page.getByTestId('publish-toggle').click();
  await expect(page.getByTestId('publish-state')).toHaveText('veröffentlicht');

  // The shop shows it, picture included, and so does the sitemap.
  await page.goto('/shop?category=views');
  await hydrated(page);
  const card = page.getByTestId('product-card').filter({ hasText: `Story-Aufrufe ${run}` });
  await expect(card.getByTestId('card-image')).toBeVisible();
  await expect(card.getByTestId('from-price')).toHaveText('ab 6,90 €');
  await card.getByTestId('product-link').click();
  await expect(page.getByTestId('product-name')).toHaveText(`Story-Aufrufe ${run}`);
  const image = page.getByTestId('product-image').first();
  await expect(image).toHaveAttribute('alt', 'Eine Story auf dem Handy');
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  const sitemap = await (await request.get('/sitemap.xml')).text();
  expect(sitemap).toContain(`/shop/${slug}</loc>`);
});

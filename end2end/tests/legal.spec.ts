import { test, expect } from '@playwright/test';
import { hydrated } from './helpers';

test('the footer of every page leads to the legal pages', async ({ page }) => {
  await page.goto('/shop');
  await hydrated(page);
  await page.getByTestId('legal-links').getByRole('link', { name: 'Impressum' }).click();
  await expect(page).toHaveURL(/\/legal\/impressum$/);
  await expect(page.getByTestId('page-title')).toHaveText('Impressum');
  await expect(page.getByTestId('page-body')).toContainText('Angaben gemäß § 5 DDG');
  await page.getByTestId('legal-links').getByRole('link', { name: 'Widerrufsbelehrung' }).click();
  await expect(page.getByTestId('page-title')).toHaveText('Widerrufsbelehrung');
});

test('the blog opens from the header and moves between posts in the browser', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.evaluate(() => document.body.setAttribute('data-probe', 'same-document'));
  await page.getByTestId('blog-link-nav').click();
  await expect(page).toHaveURL(/\/blog$/);
  await expect(page.getByTestId('blog-card')).toHaveCount(2);
  await page.getByTestId('blog-link').filter({ hasText: 'Reels, die wachsen' }).click();
  await expect(page).toHaveURL(/\/blog\/reels-die-wachsen$/);
  await expect(page.getByTestId('page-title')).toHaveText('Reels, die wachsen: fünf Regeln aus 200 Kampagnen');
  await expect(page.getByTestId('page-body').locator('h2').first()).toHaveText('1. Die ersten zwei Sekunden entscheiden');
  await expect(page).toHaveTitle('Reels, die wachsen: fünf Regeln aus 200 Kampagnen – Growthdesk');
  // No full page load on the way.
  await expect(page.locator('body')).toHaveAttribute('data-probe', 'same-document');
});

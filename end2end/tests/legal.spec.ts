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

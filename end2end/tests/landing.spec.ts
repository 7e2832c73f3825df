import { test, expect } from '@playwright/test';
import { hydrated } from './helpers';

// Unique per run, so a re-run is never taken for a duplicate submission.
const run = Date.now().toString(36);

test('the page hydrates without CSP violations and the message counter responds', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });
  page.on('pageerror', (err) => violations.push(err.message));

  await page.goto('/');
  await hydrated(page);
  await expect(page.getByTestId('message-count')).toContainText('0 / 4000');
  await page.locator('#lead-message').fill('Hallo');
  await expect(page.getByTestId('message-count')).toContainText('5 / 4000');
  expect(violations).toEqual([]);
});

test('submitting the form in German with JavaScript lands a mail in the outbox', async ({ page }) => {
  const email = `anna.${run}@example.de`;
  await page.goto('/');
  await hydrated(page);
  await page.locator('#lead-name').fill('Anna Schmidt');
  await page.locator('#lead-email').fill(email);
  await page.locator('#lead-instagram').fill('@anna.bakes');
  await page.locator('#lead-message').fill('Wir möchten mehr Reichweite für unsere Bäckerei.');
  await page.locator('#lead-consent').check();
  await page.getByRole('button', { name: 'Nachricht senden' }).click();

  await expect(page.getByTestId('lead-sent')).toContainText('Vielen Dank!');
  // The hydrated form called the server function; the page never left.
  expect(new URL(page.url()).pathname).toBe('/');

  await page.goto('/dev/outbox');
  await hydrated(page);
  await expect(page.getByTestId('outbox-banner')).toContainText('local outbox');
  // The confirmation is the mail addressed to the lead.
  const mail = page
    .getByTestId('outbox-mail')
    .filter({ has: page.getByTestId('outbox-to').filter({ hasText: email }) });
  await expect(async () => {
    await page.getByTestId('outbox-refresh').click();
    await expect(mail).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(mail.getByTestId('outbox-subject')).toHaveText('Ihre Anfrage bei Growthdesk');
  // …and the agency was told.
  await expect(page.getByTestId('outbox-mail').filter({ hasText: `Neue Anfrage: Anna Schmidt <${email}>` })).toHaveCount(1);
});

test('a bad email shows its field error and keeps what was typed', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.locator('#lead-name').fill('Bernd');
  await page.locator('#lead-email').fill('bernd-at-example');
  await page.locator('#lead-message').fill('Bitte um Rückruf');
  await page.locator('#lead-consent').check();
  await page.getByRole('button', { name: 'Nachricht senden' }).click();

  await expect(page.locator('#lead-email-error')).toContainText('gültige E-Mail-Adresse');
  await expect(page.locator('#lead-email')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#lead-name-error')).toHaveText('');
  await expect(page.locator('#lead-name')).toHaveValue('Bernd');
  await expect(page.locator('#lead-message')).toHaveValue('Bitte um Rückruf');
  await expect(page.getByTestId('lead-sent')).toHaveCount(0);
});

test('the language switch goes to English and back', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await expect(page.locator('html')).toHaveAttribute('lang', 'de');
  await page.getByTestId('lang-switch').click();
  await expect(page).toHaveURL(/\/en$/);
  await expect(page.getByRole('heading', { name: 'Talk to us' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.getByTestId('lang-switch').click();
  await expect(page.getByRole('heading', { name: 'Sprechen Sie mit uns' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'de');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the form still submits', async ({ page }) => {
    await page.goto('/en');
    await page.locator('#lead-name').fill('Carla');
    await page.locator('#lead-email').fill(`carla.${run}@example.com`);
    await page.locator('#lead-message').fill('No JavaScript here.');
    await page.locator('#lead-consent').check();
    await page.getByRole('button', { name: 'Send message' }).click();
    await expect(page).toHaveURL(/\/en\?lead=sent#contact$/);
    await expect(page.getByTestId('lead-sent')).toContainText('Thank you!');
  });

  test('field errors come back with the values', async ({ page }) => {
    await page.goto('/en');
    await page.locator('#lead-name').fill('Carla');
    await page.locator('#lead-email').fill('carla@');
    await page.locator('#lead-message').fill('Keep this text');
    await page.getByRole('button', { name: 'Send message' }).click();
    await expect(page.locator('#lead-email-error')).toContainText('valid email address');
    await expect(page.locator('#lead-consent-error')).toContainText('Please agree');
    await expect(page.locator('#lead-name')).toHaveValue('Carla');
    await expect(page.locator('#lead-message')).toHaveValue('Keep this text');
  });
});

import { expect, type Page } from '@playwright/test';

export const password = 'pferd batterie heftklammer richtig';

export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** The newest link of `kind` mailed to `email`, read from the local outbox page. */
export async function linkFromOutbox(page: Page, email: string, kind: 'verify-email' | 'reset-password') {
  await page.goto('/dev/outbox');
  await hydrated(page);
  const mail = page
    .getByTestId('outbox-mail')
    .filter({ has: page.getByTestId('outbox-to').filter({ hasText: email }) })
    .filter({ hasText: kind === 'verify-email' ? 'bestätigen' : 'Neues Passwort' })
    .first();
  await expect(async () => {
    await page.getByTestId('outbox-refresh').click();
    await expect(mail).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  const body = (await mail.locator('pre').textContent()) ?? '';
  const link = body.match(new RegExp(`http\\S+/${kind}\\?token=\\S+`));
  expect(link).not.toBeNull();
  return link![0];
}

import { test, expect } from '@playwright/test';
import { hydrated, payOnTestGateway, signedInAdmin, signUpAndIn, toCheckout } from './helpers';

const run = Date.now().toString(36);

test('bought followers become a task an admin completes; the client sees it delivered and is mailed', async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const email = `folge.${run}@example.de`;
  const handle = `@shop.${run}`;
  await signUpAndIn(page, email);
  await toCheckout(page, 'instagram-follower', '1.000 Follower – 14,90 €', handle);
  const orderUrl = await payOnTestGateway(page);
  await page.goto(orderUrl);
  await hydrated(page);
  // The worker plans the delivery right after the payment; the page asks again every 15 s.
  await expect(page.getByTestId('order-status')).toHaveAttribute('data-status', 'in_fulfilment', { timeout: 30_000 });
  const item = page.getByTestId('delivery-item');
  await expect(item).toHaveAttribute('data-status', 'queued');
  await expect(item).toContainText('Wird vorbereitet');

  // The admin's work list has the task: claim it, complete it.
  const admin = await browser.newPage({ baseURL });
  await signedInAdmin(admin, `ful.${run}@example.de`, baseURL!);
  await admin.goto('/admin/fulfilment');
  await hydrated(admin);
  const task = admin.getByTestId('work-item').filter({ hasText: handle });
  await expect(task).toHaveAttribute('data-method', 'manual');
  await task.getByTestId('claim').click();
  await expect(task.getByTestId('work-status')).toHaveText('In Arbeit');
  await task.getByTestId('complete').click();
  await expect(admin.getByTestId('work-item').filter({ hasText: handle })).toHaveCount(0);

  // The client's page follows without a reload: delivered, a refill may be asked for.
  await expect(page.getByTestId('order-status')).toHaveAttribute('data-status', 'completed', { timeout: 30_000 });
  await expect(item).toContainText('Geliefert');
  await item.getByTestId('request-refill').click();
  await expect(item).toContainText('Nachfüllung beantragt');

  // The client was told of the start and of the end; the admin sees both on the order.
  await admin.goto('/admin/mail');
  await hydrated(admin);
  await admin.getByTestId('mail-person').fill(email);
  await admin.getByTestId('mail-person').press('Tab');
  const history = admin.getByTestId('mail-history');
  await expect(history.getByTestId('mail').filter({ hasText: 'Abgeschlossen' })).toHaveAttribute('data-state', 'sent', {
    timeout: 20_000,
  });
  await expect(history.getByTestId('mail').filter({ hasText: 'In Bearbeitung' })).toHaveAttribute('data-state', 'sent');
  await admin.close();
});

test('likes go to the local stand-in provider, are followed there and complete', async ({ page }) => {
  test.setTimeout(150_000);
  const email = `likes.${run}@example.de`;
  await signUpAndIn(page, email);
  await toCheckout(page, 'instagram-likes', undefined, `https://www.instagram.com/p/E2e${run}/`);
  const orderUrl = await payOnTestGateway(page);
  await page.goto(orderUrl);
  await hydrated(page);
  // Sent to the provider at once; its status is polled every 30 seconds, and the page asks
  // again every 15: completed within a couple of minutes at most.
  const item = page.getByTestId('delivery-item');
  await expect(item).toHaveAttribute('data-status', /^(submitted|in_progress|completed)$/, { timeout: 30_000 });
  await expect(page.getByTestId('order-status')).toHaveAttribute('data-status', 'completed', { timeout: 120_000 });
  await expect(item).toContainText('Geliefert');
});

import { test, expect } from '@playwright/test';
import { hydrated, payOnTestGateway, signedInAdmin, signUpAndIn, toCheckout } from './helpers';

const run = Date.now().toString(36);

test('a purchase is invoiced, a partial refund gets a credit note, finance sees both', async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const email = `rechnung.${run}@example.de`;
  await signUpAndIn(page, email);
  await toCheckout(page, 'instagram-follower', '1.000 Follower – 14,90 €', `@rechnung.${run}`);
  const orderUrl = await payOnTestGateway(page);
  const orderId = orderUrl.split('/').pop()!;

  // The worker issues the invoice with the payment: it shows on the order's page.
  const invoice = page.getByTestId('invoice').filter({ hasText: 'RE-' });
  await expect(async () => {
    await page.goto(orderUrl);
    await hydrated(page);
    await expect(invoice).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(invoice.getByTestId('invoice-total')).toHaveText('14,90 €');
  const number = (await invoice.getByTestId('invoice-number').textContent())!;
  expect(number).toMatch(/^RE-\d{4}-\d{5}$/);

  // The PDF opens: a PDF/A document named after the invoice.
  const pdfHref = (await invoice.getByTestId('invoice-pdf').getAttribute('href'))!;
  const pdf = await page.request.get(pdfHref);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()['content-type']).toBe('application/pdf');
  expect(pdf.headers()['content-disposition']).toContain(`${number}.pdf`);
  expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
  const xml = await page.request.get((await invoice.getByTestId('invoice-xml').getAttribute('href'))!);
  expect(xml.status()).toBe(200);
  expect(await xml.text()).toContain(`<ram:ID>${number}</ram:ID>`);

  // The portal's list has it too.
  await page.goto('/portal');
  await hydrated(page);
  await page.getByTestId('dashboard-invoices-link').click();
  await expect(page.getByTestId('invoice').filter({ hasText: number })).toBeVisible();

  // An admin refunds 5 €: a credit note follows, correcting the invoice.
  const admin = await browser.newPage({ baseURL });
  await signedInAdmin(admin, `fin.${run}@example.de`, baseURL!);
  await admin.goto(`/admin/orders/${orderId}`);
  await hydrated(admin);
  await expect(admin.getByTestId('admin-order-invoice').filter({ hasText: number })).toBeVisible();
  const refund = admin.getByTestId('admin-order-refund');
  await refund.locator('#refund-amount').fill('5');
  await refund.locator('#refund-reason').fill('Teilweise nicht geliefert');
  await refund.getByRole('button', { name: 'Erstatten' }).click();
  await expect(admin.getByTestId('admin-order-refundable')).toHaveText('9,90 €');
  const credit = admin.getByTestId('admin-order-invoice').filter({ hasText: 'RK-' });
  await expect(async () => {
    await admin.reload();
    await hydrated(admin);
    await expect(credit).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(credit).toContainText(number);
  await expect(credit).toContainText('5,00 €');

  // The client sees the credit note next to the invoice.
  await page.goto('/portal/invoices');
  await hydrated(page);
  await expect(page.getByTestId('invoice').filter({ hasText: 'RK-' })).toContainText(number);

  // Finance's list: both, netting to what was kept; Lexoffice is not connected here.
  await admin.goto('/finance');
  await hydrated(admin);
  await expect(admin.getByTestId('lexoffice-state')).toContainText('nicht verbunden');
  await admin.getByTestId('filter-query').fill(email);
  await admin.getByTestId('filter-query').press('Enter');
  await admin.getByTestId('filter-query').blur();
  await expect(admin.getByTestId('finance-invoice')).toHaveCount(2);
  await expect(admin.getByTestId('finance-total')).toHaveText('9,90 €');
  await admin.close();
});

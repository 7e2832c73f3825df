import { test, expect } from '@playwright/test';
import { hydrated, payOnTestGateway, signedInAdmin, signUpAndIn, toCheckout } from './helpers';

const run = Date.now().toString(36);

test('a purchase is invoiced, a partial refund gets a credit note, finance sees both, the charts and a DATEV export', async ({
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
  await expect(admin.getByTestId('sync-state').first()).toHaveAttribute('data-state', 'waiting');

  // The reports: the charts, the payment and the refund, and a DATEV export of today.
  await admin.getByTestId('reports-link').click();
  await expect(admin).toHaveURL(/\/finance\/reports$/);
  await expect(admin.getByTestId('chart-revenue').getByTestId('chart-bar')).toHaveCount(12);
  const thisMonth = admin.getByTestId('chart-revenue').getByTestId('chart-bar').last();
  expect(Number(await thisMonth.getAttribute('data-value'))).toBeGreaterThan(0);
  await expect(admin.getByTestId('chart-products').getByTestId('chart-bar').first()).toBeVisible();
  const payments = admin.getByTestId('finance-payment').filter({ hasText: email });
  await expect(payments).toHaveCount(2);
  await expect(payments.filter({ hasText: 'Erstattung' })).toContainText('5,00 €');
  await expect(admin.getByTestId('sync-counts')).toContainText('nicht verbunden');
  const today = new Date().toISOString().slice(0, 10);
  await admin.getByTestId('export-from').fill(today);
  await admin.getByTestId('export-to').fill(today);
  await admin.getByTestId('export-to').blur();
  const href = (await admin.getByTestId('export-datev').getAttribute('href'))!;
  expect(href).toContain(`from=${today}&to=${today}`);
  const [download] = await Promise.all([
    admin.waitForEvent('download'),
    admin.getByTestId('export-datev').click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^EXTF_Buchungsstapel_\d{8}_\d{8}\.csv$/);
  const datev = await admin.request.get(href);
  expect(datev.status()).toBe(200);
  const text = (await datev.body()).toString('latin1');
  expect(text.startsWith('"EXTF";700;21;"Buchungsstapel";')).toBe(true);
  expect(text).toContain(`"${number}"`);
  expect(text).toContain('14,90;"S";"EUR"');
  expect(text).toContain('5,00;"H";"EUR"');
  // A period the wrong way round is explained, not exported.
  const wrong = await admin.request.get(`/documents/finance/datev.csv?from=${today}&to=2000-01-01`);
  expect(wrong.status()).toBe(400);
  expect(await wrong.text()).toContain('ends before it starts');
  await admin.close();
});

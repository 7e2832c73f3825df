import { expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

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

/** Signs up as `email`, confirms the address from the mail and signs in (ends on /account). */
export async function signUpAndIn(page: Page, email: string) {
  await page.goto('/signup');
  await hydrated(page);
  await page.locator('#auth-email').fill(email);
  await page.locator('#auth-password').fill(password);
  await page.getByRole('button', { name: 'Konto anlegen' }).click();
  await expect(page.getByTestId('notice')).toBeVisible();
  await page.goto(await linkFromOutbox(page, email, 'verify-email'));
  await hydrated(page);
  await page.getByRole('button', { name: 'Adresse bestätigen' }).click();
  await expect(page.getByTestId('notice')).toContainText('bestätigt');
  await page.locator('#auth-email').fill(email);
  await page.locator('#auth-password').fill(password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await expect(page).toHaveURL(/\/account$/);
}

/** The six-digit code an authenticator app shows for a base32 `secret` (RFC 6238, SHA-1, 30 s). */
export function totp(secret: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0');
}

/** `make admin EMAIL=…` as an operator runs it: returns the set-password link it prints. */
export function createAdmin(email: string, baseURL: string): string {
  const bin = path.join(process.env.CARGO_TARGET_DIR ?? 'target', 'debug', 'server');
  const out = execFileSync(bin, ['create-admin', email], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: {
      ...process.env,
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? 'postgres://growthdesk_app@127.0.0.1:5432/growthdesk_e2e',
      MIGRATION_DATABASE_URL:
        process.env.E2E_MIGRATION_DATABASE_URL ?? 'postgres://growthdesk_owner@127.0.0.1:5432/growthdesk_e2e',
      PUBLIC_URL: baseURL,
      RUST_LOG: 'warn',
    },
  }).toString();
  const link = out.match(/http\S+\/reset-password\?token=\S+/);
  expect(link, out).not.toBeNull();
  return link![0];
}

/** A new admin as an operator makes one (`make admin`), signed in with two-factor sign-in set up
 * as a person does it in the browser; ends on the two-factor page. */
export async function signedInAdmin(page: Page, email: string, baseURL: string) {
  await page.goto(createAdmin(email, baseURL));
  await hydrated(page);
  await page.locator('#auth-password').fill(password);
  await page.getByRole('button', { name: 'Passwort speichern' }).click();
  await expect(page.getByTestId('notice')).toContainText('Ihr neues Passwort gilt');
  await page.locator('#auth-email').fill(email);
  await page.locator('#auth-password').fill(password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await expect(page.getByTestId('account-roles')).toHaveText('admin');
  await page.goto('/account/two-factor');
  await hydrated(page);
  await page.getByRole('button', { name: 'Authenticator-App einrichten' }).click();
  await expect(page.getByTestId('totp-qr')).toBeVisible();
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  await page.locator('#auth-code').fill(totp(secret));
  await page.getByRole('button', { name: 'Einschalten' }).click();
  await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
}

/** A `width` × `height` PNG photo (a colour gradient), made here so no binary is committed. */
export function pngPhoto(width: number, height: number): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = (x * 255) / width;
      row[2 + x * 3] = (y * 255) / height;
      row[3 + x * 3] = 160;
    }
    rows.push(row);
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Puts `product` (with the tier labelled `tier`, or its first) for `target` in the cart and
 * goes from the cart to the checkout. */
export async function toCheckout(page: Page, product: string, tier?: string, target = '@growth.desk') {
  await page.goto(`/shop/${product}`);
  await hydrated(page);
  if (tier) await page.getByLabel(tier).check();
  await page.locator('#product-target').fill(target);
  await page.getByTestId('add-to-cart').click();
  await expect(page.getByTestId('cart-count')).toHaveText('1');
  await page.goto('/cart');
  await hydrated(page);
  await page.getByTestId('cart-checkout').click();
  await page.waitForURL('**/checkout');
  await hydrated(page);
}

export async function fillBilling(page: Page) {
  await page.locator('#checkout-name').fill('Kim Beispiel');
  await page.locator('#checkout-street').fill('Hauptstraße 1');
  await page.locator('#checkout-postal_code').fill('10115');
  await page.locator('#checkout-city').fill('Berlin');
}

/** Fills the billing form, accepts the terms, pays on the test gateway's page; ends on the
 * order page and returns its address. */
export async function payOnTestGateway(page: Page): Promise<string> {
  await fillBilling(page);
  await page.getByTestId('checkout-terms').check();
  await page.getByTestId('checkout-early-start').check();
  await page.getByTestId('checkout-submit').click();
  await page.waitForURL('**/test-gateway/pay/**');
  await page.getByTestId('gateway-pay').click();
  await page.waitForURL(/\/portal\/orders\/[0-9a-f-]+\?session_id=cs_test_/);
  await hydrated(page);
  return page.url().split('?')[0];
}

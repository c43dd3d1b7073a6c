// The operator console at /ops in a real browser: Debian's Chromium driven by playwright-core (no browser download),
// against the app started as its own process (as test/e2e/browser.test.ts does). An admin logs in through the form
// and sees the backlog with its history, the charts, an order this test placed with its timeline and its Temporal UI
// link; a customer gets the "admins only" page. Screenshots go to test-results/browser/. The drift and dead-letter
// sections with real findings and a redrive from the page are test/e2e/ops-console-actions.browser.test.ts (whose
// last screenshot is docs/images/ops-console.png).
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startApp, type RunningApp } from '../helpers/app-process.ts';
import { eventually } from '../helpers/eventually.ts';

const screenshots = fileURLToPath(new URL('../../test-results/browser/', import.meta.url));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const temporalUi = 'http://127.0.0.1:8233';
// Headless, and nothing that reaches for the internet (this machine's network is closed).
const args = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ADMIN = { email: 'admin@example.com', password: 'Password123!' };

let browser: Browser;
let app: RunningApp;
let customer: { email: string; password: string; token: string };
let orderId: number;

async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Runs `body` on a page of a fresh browser context (its own cookies) and always saves a screenshot of where it ended. */
async function onPage(name: string, body: (page: Page) => Promise<void>): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  try {
    await body(page);
  } finally {
    await page.screenshot({ path: `${screenshots}${name}.png`, fullPage: true }).catch(() => undefined);
    await context.close();
  }
}

async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${app.url}/ops`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

beforeAll(async () => {
  await mkdir(screenshots, { recursive: true });
  app = await startApp({ PAYMENT_SUCCESS_RATE: '1', PAYMENT_DURATION: '0', TEMPORAL_UI_URL: temporalUi });
  browser = await chromium.launch({ executablePath, headless: true, args });
  const email = `ops-console-${process.pid}-${Date.now()}@example.com`;
  const password = 'Secret123!';
  await api('PUT', '/api/user', { name: 'Console Customer', email, password });
  const token = (await api<{ token: string }>('POST', '/api/auth/login', { email, password })).body.token;
  customer = { email, password, token };
  const product = await api<{ id: number }>('PUT', '/api/product', { name: `Console item ${Date.now()}`, price: 4.5, stock: 5 }, token);
  const order = await api<{ id: number }>('PUT', '/api/order', { items: [{ productId: product.body.id, quantity: 1 }] }, token);
  expect(order.status).toBe(201);
  orderId = order.body.id;
  await eventually(
    async () => (await api<{ status: string }>('GET', `/api/order/${orderId}`, undefined, token)).body.status,
    (status) => status === 'Completed',
    { what: `order ${orderId} Completed`, timeoutMs: 60_000 },
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('the operator console', () => {
  it('when an admin logs in through the form, then the console shows the backlog, charts and the order with working links', async () => {
    await onPage('ops-console', async (page) => {
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      await logIn(page, ADMIN.email, ADMIN.password);
      await page.getByRole('heading', { name: 'order-saga operator console' }).waitFor();
      expect(page.url()).toBe(`${app.url}/ops`);

      // The session is an HttpOnly, SameSite=Strict cookie, and its token is in no URL the page asked for.
      const cookies = await page.context().cookies();
      const session = cookies.find((c) => c.name === 'ops_session')!;
      expect(session).toEqual(expect.objectContaining({ httpOnly: true, sameSite: 'Strict', path: '/' }));

      // Backlog figures, each with a line of its history once two polls came back.
      const figures = page.locator('#backlog-figures figure');
      await page.locator('#backlog-figures figure[data-figure="outbox-pending"] svg circle').nth(1).waitFor({ timeout: 30_000 });
      expect(await figures.count()).toBe(7);
      expect(await page.locator('#backlog-figures figure[data-figure="pollers"] .value').innerText()).toMatch(/^\d+$/);
      expect(await page.locator('#backlog-figures figure[data-figure="outbox-pending"] polyline').getAttribute('points')).toMatch(
        /^[\d.]+,[\d.]+ [\d.]+,[\d.]+/,
      );

      // Orders by status and phase (bars), per-minute rates (15 points for each of four series).
      expect(await page.locator('#chart-status svg rect.bar').count()).toBe(5);
      expect(await page.locator('#chart-phase svg rect.bar').count()).toBe(4);
      expect(Number(await page.locator('#chart-status rect.bar').nth(2).getAttribute('data-value'))).toBeGreaterThanOrEqual(1);
      for (const series of ['placed', 'completed', 'expired', 'cancelled']) {
        expect(await page.locator(`#chart-rates g[data-series="${series}"] circle.point`).count()).toBe(15);
      }
      const dots = await page.locator('#chart-rates g[data-series="placed"] circle.point').all();
      const placed = await Promise.all(dots.map((d) => d.getAttribute('data-value')));
      expect(placed.reduce((sum, v) => sum + Number(v), 0)).toBeGreaterThanOrEqual(1);

      // Admission, and the drift and dead-letter sections answered by their endpoints (what they show depends on the
      // other test files' data here: ops-console-actions.browser.test.ts checks it on a database of its own).
      await expect(page.locator('#admission-state').innerText()).resolves.toMatch(/Admitting new orders/);
      await page.locator('#drift-body .drift-pass').waitFor();
      await page.locator('#drift-body caption', { hasText: 'Latest drift findings' }).waitFor();
      await page.locator('#dead-letters-body caption', { hasText: 'latest dead letter' }).waitFor();
      expect(await page.locator('.unavailable').count()).toBe(0);

      // The order this test placed: its workflow in the Temporal UI, and its timeline in the side panel.
      const row = page.locator(`#recent-orders tr[data-order-id="${orderId}"]`);
      await row.waitFor();
      expect(await row.innerText()).toContain('Completed');
      const workflowId = `${app.env.TEMPORAL_WORKFLOW_ID_PREFIX}${orderId}`;
      expect(await row.locator('a.workflow-link').getAttribute('href')).toBe(
        `${temporalUi}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
      );
      await row.getByRole('button', { name: `#${orderId} timeline` }).click();
      const panel = page.locator('#timeline');
      await panel.waitFor({ state: 'visible' });
      await panel.locator('#timeline-status', { hasText: 'Status: Completed' }).waitFor();
      expect(await panel.locator('#timeline-entries li strong').count()).toBeGreaterThanOrEqual(3);
      await page.screenshot({ path: `${screenshots}ops-console-timeline.png` });
      await panel.getByRole('button', { name: 'Close' }).click();
      await panel.waitFor({ state: 'hidden' });

      expect(requested.filter((url) => url.includes(session.value))).toEqual([]);
      expect(requested.filter((url) => /token|password/i.test(new URL(url).search))).toEqual([]);
    });
  });

  it('when a customer logs in through the form, then the page says the console is for admins (403)', async () => {
    await onPage('ops-console-customer', async (page) => {
      await page.goto(`${app.url}/ops`);
      await page.getByLabel('E-mail').fill(customer.email);
      await page.getByLabel('Password').fill(customer.password);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${app.url}/ops` && r.request().method() === 'GET'),
        page.getByRole('button', { name: 'Log in' }).click(),
      ]);

      expect(answer.status()).toBe(403);
      await page.getByRole('heading', { name: 'Admins only' }).waitFor();
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByLabel('E-mail').waitFor();
      expect((await page.context().cookies()).filter((c) => c.name === 'ops_session')).toEqual([]);
    });
  });
});

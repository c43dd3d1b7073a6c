// The UIs a person uses, in a real browser: Debian's Chromium driven by playwright-core (no browser download).
// Swagger UI at /docs (authorize with a token, try a route), the Temporal Web UI (an order's workflow, its search
// attributes and history) and the Prometheus UI (every role's scrape target up). Each test leaves a screenshot in
// test-results/browser/ (the one to look at when it fails).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startApp, type RunningApp } from '../helpers/app-process.ts';
import { freeLoopbackPort } from '../../src/lib/free-port.ts';
import { eventually } from '../helpers/eventually.ts';

const screenshots = fileURLToPath(new URL('../../test-results/browser/', import.meta.url));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const temporalUi = process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233';
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

let browser: Browser;
let app: RunningApp;
let token: string;
let userId: number;

/** Runs `body` on a fresh page and always saves a screenshot of where it ended. */
async function onPage(name: string, body: (page: Page) => Promise<void>): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  try {
    await body(page);
  } finally {
    await page.screenshot({ path: `${screenshots}${name}.png`, fullPage: true }).catch(() => undefined);
    await page.close();
  }
}

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

beforeAll(async () => {
  await mkdir(screenshots, { recursive: true });
  app = await startApp({ PAYMENT_SUCCESS_RATE: '1', PAYMENT_DURATION: '0' });
  browser = await chromium.launch({ executablePath, headless: true, args });
  const email = `browser-${process.pid}-${Date.now()}@example.com`;
  const registered = await api<{ id: number }>('PUT', '/api/user', { name: 'Browser User', email, password: 'Secret123!' });
  userId = registered.body.id;
  token = (await api<{ token: string }>('POST', '/api/auth/login', { email, password: 'Secret123!' })).body.token;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('Swagger UI at /docs', () => {
  it('when opened, authorized with a token from login and "Try it out" is used on GET /api/product, then it shows 200', async () => {
    await onPage('swagger-ui', async (page) => {
      await page.goto(`${app.url}/docs`);
      // The routes are listed, grouped by tag.
      await page.locator('.opblock-summary-path', { hasText: '/api/order/{id}/timeline' }).first().waitFor();
      const paths = await page.locator('.opblock-summary-path').allTextContents();
      expect(paths.map((p) => p.replace(/\u200b/g, ''))).toEqual(
        expect.arrayContaining(['/api/auth/login', '/api/product', '/api/order/{id}']),
      );

      await page.locator('button.authorize').first().click();
      await page.locator('.modal-ux input[type=text]').fill(token);
      await page.locator('.modal-ux button.authorize').click();
      await page.locator('.modal-ux button.btn-done').click();

      const listProducts = page.locator('#operations-Products-listProducts');
      await listProducts.locator('.opblock-summary').click();
      await listProducts.locator('button.try-out__btn').click();
      await listProducts.locator('button.execute').click();
      const status = listProducts.locator('.live-responses-table tbody .response .response-col_status').first();
      await status.waitFor();
      expect((await status.textContent())?.trim()).toBe('200');
    });
  });
});

describe('Temporal Web UI', () => {
  it('when an order has completed, then its workflow page shows its summary and history, and the list finds it by OrderId', async () => {
    const product = await api<{ id: number }>('PUT', '/api/product', { name: `Browser item ${Date.now()}`, price: 9.5, stock: 5 });
    const order = await api<{ id: number }>('PUT', '/api/order', { items: [{ productId: product.body.id, quantity: 1 }] });
    expect(order.status).toBe(201);
    await eventually(
      async () => (await api<{ status: string }>('GET', `/api/order/${order.body.id}`)).body.status,
      (status) => status === 'Completed',
      { what: `order ${order.body.id} Completed`, timeoutMs: 60_000 },
    );
    const workflowId = `${app.env.TEMPORAL_WORKFLOW_ID_PREFIX}${order.body.id}`;

    await onPage('temporal-ui-workflow', async (page) => {
      await page.goto(`${temporalUi}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
      // The history (its timeline shows the payment activity and the local database steps).
      await page.getByText('chargePayment').first().waitFor({ timeout: 30_000 });
      expect(await page.locator('body').innerText()).toContain(workflowId);
      // The search attributes the bridge set at start and the workflow keeps current.
      await page.getByRole('tab', { name: 'Search Attributes' }).click();
      await page.getByText('OrderStatus').first().waitFor();
      const attributes = await page.locator('body').innerText();
      expect(attributes).toContain(`"OrderId": "${order.body.id}"`);
      expect(attributes).toContain(`"UserId": "${userId}"`);
      expect(attributes).toContain('"OrderStatus": "Completed"');
      // The static summary set at start.
      await page.getByRole('tab', { name: 'User Metadata' }).click();
      // The UI renders user metadata (markdown) in sandboxed frames: look in every frame.
      const summary = `Order #${order.body.id} of user ${userId}, total 9.50`;
      await eventually(
        async () =>
          (
            await Promise.all(
              page.frames().map((f) =>
                f
                  .locator('body')
                  .innerText()
                  .catch(() => ''),
              ),
            )
          ).join('\n'),
        (text) => text.includes(summary) && text.includes(`Order #${order.body.id}`) && /Expires unpaid after/.test(text),
        { what: 'the workflow summary and details in the Temporal UI' },
      );
    });

    await onPage('temporal-ui-list', async (page) => {
      const query = encodeURIComponent(`OrderId="${order.body.id}" AND WorkflowId="${workflowId}"`);
      await page.goto(`${temporalUi}/namespaces/default/workflows?query=${query}`);
      await page.getByText(workflowId).first().waitFor({ timeout: 30_000 });
    });
  });
});

describe('Prometheus UI', () => {
  const roles = ['relay', 'bridge', 'notifier', 'worker'] as const;
  let processes: RunningApp[] = [];
  let prometheus: ChildProcess | undefined;
  let dataDir: string;
  let prometheusUrl: string;

  beforeAll(async () => {
    // Each background role as its own process with its METRICS_PORT, next to the `all` app: one target per role.
    processes = await Promise.all(roles.map(async (role) => startApp({ METRICS_PORT: String(await freeLoopbackPort()) }, role)));
    dataDir = await mkdtemp(join(tmpdir(), 'saga-prometheus-'));
    const target = (url: string) => new URL(url).host;
    const jobs = [
      { role: 'all', host: target(app.metricsUrl) },
      ...processes.map((p, i) => ({ role: roles[i]!, host: target(p.metricsUrl) })),
    ];
    const config = [
      'global: { scrape_interval: 1s, scrape_timeout: 1s }',
      'scrape_configs:',
      ...jobs.map((j) => `  - { job_name: ${j.role}, static_configs: [{ targets: ['${j.host}'], labels: { role: ${j.role} } }] }`),
    ].join('\n');
    await writeFile(join(dataDir, 'prometheus.yml'), config);
    const port = await freeLoopbackPort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus',
      [
        `--config.file=${join(dataDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dataDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    await eventually(
      () =>
        fetch(`${prometheusUrl}/-/ready`).then(
          (r) => r.status,
          () => 0,
        ),
      (status) => status === 200,
      { what: 'Prometheus ready' },
    );
  }, 180_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.stop()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("when Prometheus scrapes the app and each role's own process, then its targets page shows every role up", async () => {
    await onPage('prometheus-targets', async (page) => {
      // Targets turn up after their first scrape: reload until every role's row says UP (or the deadline passes).
      await eventually(
        async () => {
          await page.goto(`${prometheusUrl}/classic/targets`);
          const text = await page.locator('body').innerText();
          return ['all', ...roles].filter((role) => !new RegExp(`${role} \\(1/1 up\\)`).test(text));
        },
        (down) => down.length === 0,
        { what: 'every role target up in the Prometheus UI', timeoutMs: 60_000 },
      );
    });
  });
});

// The operator console's drift and dead-letter sections in a real browser (Debian's Chromium driven by playwright-core)
// against the real app (`node src/main.ts all` as its own process) on the real PostgreSQL, Kafka and Temporal:
//   - drift: an order waiting for payment whose workflow is terminated by hand; a report pass (run here) finds it, the
//     console shows it open; a repair pass starts a new run, the console shows the repair, and the order's timeline
//     panel (opened from the drift row) shows the reconciler's entry;
//   - dead letters: an outcome event naming a user that does not exist is dead-lettered by the app's notifier and
//     recorded by its recorder (and a message that is not JSON by its bridge); once the user exists, the operator
//     previews a redrive from the page (the dry run names the entry), confirms it, and the notifier handles the message.
// Isolated from the other test files: a database of its own (a pass looks at every order), and topics, consumer
// groups, task queue and workflow ids of its own (the recorder reads every dead-letter topic under its prefix).
// The app's own reconciler only reports, once at start; the passes that matter are run here. The last screenshot,
// test-results/browser/ops-console-actions.png, is docs/images/ops-console.png.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { initOrm, migrate, type Orm } from '../../src/db/orm.ts';
import { createKafka, Partitioners, type Producer } from '../../src/messaging/kafka.ts';
import { Reconciler, type PassReport } from '../../src/reconciler/reconciler.ts';
import type { ReconcileMode } from '../../src/reconciler/drift.ts';
import { connectTemporal } from '../../src/temporal/connection.ts';
import { OrderWorkflowClient } from '../../src/temporal/order-workflow.client.ts';
import { startApp, type RunningApp } from '../helpers/app-process.ts';
import { testConfig, testLogger, testRunId, testTopicPrefix } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { recreateOwnDatabase } from '../helpers/own-database.ts';

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
const own = `ops-actions-${process.pid}`;
const topicPrefix = `${testTopicPrefix}${own}.`;
const taskQueue = `orders-test-${testRunId}-${own}`;
const workflowIdPrefix = `order-test-${testRunId}-${own}-`;
/** A user id the database does not have (yet): the dead-lettered event names it. */
const GHOST_USER = 900_001;
const PASSWORD = 'Secret123!';

let browser: Browser;
let app: RunningApp;
let orm: Orm;
let temporal: Client;
let workflows: OrderWorkflowClient;
let producer: Producer;
let admin: { id: number; email: string };
let customer: string;
let productId: number;

const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []) => orm.em.fork().execute<T[]>(query, params);

async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function register(name: string): Promise<{ id: number; email: string; token: string }> {
  const email = `${own}-${name.toLowerCase()}@example.com`;
  const user = await api<{ id: number }>('PUT', '/api/user', { name, email, password: PASSWORD });
  expect(user.status).toBe(201);
  const token = (await api<{ token: string }>('POST', '/api/auth/login', { email, password: PASSWORD })).body.token;
  return { id: user.body.id, email, token };
}

/** A new order of the customer whose payment was declined: its workflow waits for payment (PAYMENT_SUCCESS_RATE 0). */
async function awaitingPayment(): Promise<number> {
  const order = await api<{ id: number }>('PUT', '/api/order', { items: [{ productId, quantity: 1 }] }, customer);
  expect(order.status).toBe(201);
  await eventually(
    () => sql<{ due: Date | null }>('select payment_due_at as due from orders where id = ?', [order.body.id]),
    (rows) => rows[0]?.due != null,
    { what: `order ${order.body.id} waiting for payment`, timeoutMs: 60_000 },
  );
  return order.body.id;
}

/** One pass of a reconciler on the app's database and task queue (grace 0: drift made here counts at once). */
async function pass(mode: ReconcileMode): Promise<PassReport & { result: 'done' }> {
  const reconciler = new Reconciler({
    orm,
    workflows,
    log: testLogger(),
    settings: { intervalMs: 60_000, graceMs: 0, batch: 100, mode, maxOutboxAgeMs: 10 * 60_000 },
  });
  // The app's reconciler may hold the pass lock for a moment: then this pass is skipped, and tried again.
  const report = await eventually(
    () => reconciler.pass(),
    (r) => r.result === 'done',
    { what: `a ${mode} pass` },
  );
  return report as PassReport & { result: 'done' };
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

async function logIn(page: Page): Promise<void> {
  await page.goto(`${app.url}/ops`);
  await page.getByLabel('E-mail').fill(admin.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'order-saga operator console' }).waitFor();
}

beforeAll(async () => {
  await mkdir(screenshots, { recursive: true });
  const databaseUrl = await recreateOwnDatabase('ops_console_actions');
  const config = testConfig({ DATABASE_URL: databaseUrl });
  orm = await initOrm(config);
  await migrate(orm);
  app = await startApp({
    DATABASE_URL: databaseUrl,
    SEED_DEMO_DATA: 'false',
    KAFKA_TOPIC_PREFIX: topicPrefix,
    TEMPORAL_TASK_QUEUE: taskQueue,
    TEMPORAL_WORKFLOW_ID_PREFIX: workflowIdPrefix,
    TEMPORAL_UI_URL: temporalUi,
    // Every charge is declined: an order waits for payment, a state a terminated run leaves open.
    PAYMENT_SUCCESS_RATE: '0',
    PAYMENT_DURATION: '0',
    RECONCILE_MODE: 'report',
    RECONCILE_INTERVAL: '1h',
  });
  temporal = await connectTemporal(config);
  workflows = new OrderWorkflowClient(temporal, { taskQueue, expiryMs: config.ORDER_EXPIRY, idPrefix: workflowIdPrefix });
  const kafka = createKafka(config, testLogger(config));
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  browser = await chromium.launch({ executablePath, headless: true, args });

  const operator = await register('Operator');
  await sql(`update users set role = 'admin' where id = ?`, [operator.id]);
  admin = { id: operator.id, email: operator.email };
  customer = (await register('Customer')).token;
  const product = await api<{ id: number }>('PUT', '/api/product', { name: `Console item ${own}`, price: 7.25, stock: 100 }, customer);
  productId = product.body.id;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await producer?.disconnect();
  await app?.stop();
  await temporal?.connection.close();
  await orm?.close();
});

describe('the operator console with real drift and dead letters', () => {
  it('when a run is terminated mid-order, then the console shows the drift found, then its repair and the reconciler in the order timeline', async () => {
    const orderId = await awaitingPayment();
    await temporal.workflow.getHandle(workflows.workflowId(orderId)).terminate('test: an operator terminated the run');

    const found = await pass('report');
    expect(found.findings.filter((f) => f.orderId === orderId).map((f) => [f.kind, f.action])).toEqual([['workflow_ended', 'reported']]);

    await onPage('ops-console-drift', async (page) => {
      await logIn(page);
      const drift = page.locator('#drift-body');
      const reported = drift.locator('tbody tr', { hasText: `#${orderId} timeline` }).filter({ hasText: 'reported' });
      await reported.waitFor();
      expect(await reported.innerText()).toContain('workflow_ended');
      await drift.locator('.drift-pass', { hasText: 'report mode' }).waitFor();
      // The open drift by kind: one bar.
      expect(await drift.locator('svg rect.bar').count()).toBe(1);
      expect(await drift.locator('svg rect.bar').getAttribute('data-value')).toBe('1');

      const repaired = await pass('repair');
      expect(repaired.findings.filter((f) => f.orderId === orderId).map((f) => [f.kind, f.action])).toEqual([
        ['workflow_ended', 'repaired'],
      ]);

      await page.getByRole('button', { name: 'Refresh drift' }).click();
      const repair = drift.locator('tbody tr', { hasText: `#${orderId} timeline` }).filter({ hasText: 'repaired' });
      await repair.waitFor();
      expect(await repair.innerText()).toContain('started a new run');
      await drift.locator('.drift-pass', { hasText: 'repair mode' }).waitFor();
      await drift.getByText('No open drift.').waitFor();

      await repair.getByRole('button', { name: `#${orderId} timeline` }).click();
      const panel = page.locator('#timeline');
      await panel.waitFor({ state: 'visible' });
      const entry = panel.locator('#timeline-entries li.source-reconciler', { hasText: 'drift-repaired' });
      await entry.waitFor();
      expect(await entry.innerText()).toContain('workflow_ended');
      await page.screenshot({ path: `${screenshots}ops-console-drift-timeline.png` });
      await panel.getByRole('button', { name: 'Close' }).click();
    });
    // The repair is real: a new run waits for the payment again.
    expect(await workflows.presence(orderId)).toEqual({ state: 'running' });
  });

  it('when a consumer dead-letters a message, then the console lists it, and a redrive previewed and confirmed on the page sends it back', async () => {
    const orderId = await awaitingPayment();
    const event = { type: 'OrderCancelled', version: 1, orderId, userId: GHOST_USER, cancelledAt: new Date().toISOString() };
    await producer.send({
      topic: `${topicPrefix}order-cancelled-events`,
      acks: -1,
      messages: [{ key: String(orderId), value: JSON.stringify(event) }],
    });
    // A message that is not JSON at all: dead-lettered by the bridge, and left dead.
    await producer.send({ topic: `${topicPrefix}order-created-events`, acks: -1, messages: [{ key: null, value: '{not json' }] });
    const entries = () =>
      sql<{ id: string; order_id: number | null; reason_code: string; state: string; attempts: number }>(
        'select id, order_id, reason_code, state, attempts from dead_letters order by id',
      );
    const recorded = await eventually(entries, (rows) => rows.length === 2, { what: 'both dead letters recorded', timeoutMs: 60_000 });
    const letter = recorded.find((r) => r.order_id === orderId)!;
    const other = recorded.find((r) => r.order_id === null)!;
    expect([letter.reason_code, other.reason_code]).toEqual(['unknown_user', 'invalid_json']);
    const id = Number(letter.id);

    await onPage('ops-console-dead-letters', async (page) => {
      await logIn(page);
      const section = page.locator('#dead-letters');
      const row = section.locator(`tr[data-dead-letter-id="${id}"]`);
      await row.waitFor();
      expect(await row.innerText()).toMatch(/order-cancelled-events[\s\S]*unknown_user[\s\S]*dead/);
      await section.locator(`tr[data-dead-letter-id="${other.id}"]`, { hasText: 'invalid_json' }).waitFor();

      // The cause goes away: the user the event names now exists.
      await sql(
        `insert into users (id, name, email, password_hash, created_at, updated_at) values (?, 'Restored User', ?, 'x', now(), now())`,
        [GHOST_USER, `${own}-restored@example.com`],
      );

      await section.getByLabel('Reason').selectOption('unknown_user');
      await section.getByLabel('Order ids').fill(String(orderId));
      await section.getByRole('button', { name: 'Preview redrive' }).click();
      const preview = section.locator('#redrive-outcome .preview');
      await preview.waitFor();
      expect(await preview.innerText()).toBe(`1 message would be redriven: ${id}`);
      // Nothing is sent by the preview.
      expect((await entries()).map((r) => r.state)).toEqual(['dead', 'dead']);
      expect(await sql('select id from dead_letter_redrives')).toEqual([]);

      await section.getByRole('button', { name: 'Redrive 1 message' }).click();
      await section.locator('#redrive-outcome', { hasText: `1 message redriven: ${id}` }).waitFor();
      await row.filter({ hasText: 'redriven' }).waitFor();
      await page.screenshot({ path: `${screenshots}ops-console-redriven.png`, fullPage: true });
    });

    // The notifier handled the message this time: the notification exists, and the entry stays redriven.
    await eventually(
      () =>
        sql('select id from notifications where order_id = ? and user_id = ? and event_type = ?', [orderId, GHOST_USER, 'OrderCancelled']),
      (rows) => rows.length === 1,
      { what: 'the redriven event handled by the notifier', timeoutMs: 60_000 },
    );
    const after = await entries();
    expect(after.find((r) => Number(r.id) === id)).toEqual(expect.objectContaining({ state: 'redriven', attempts: 1 }));
    expect(after.find((r) => r.id === other.id)).toEqual(expect.objectContaining({ state: 'dead', attempts: 1 }));
    const audits = await sql<{ actor: string; count: number; ids: string[]; filter: unknown }>(
      'select actor, count, ids, filter from dead_letter_redrives',
    );
    expect(audits).toEqual([
      { actor: `user:${admin.id}:${admin.email}`, count: 1, ids: [String(id)], filter: { reason: 'unknown_user', orderIds: [orderId] } },
    ]);
  });

  it('when an admin opens the console afterwards, then drift and dead letters show what happened (the README screenshot)', async () => {
    // One more terminated run, found by a report pass and left open: the screenshot shows open drift as well.
    const orderId = await awaitingPayment();
    await temporal.workflow.getHandle(workflows.workflowId(orderId)).terminate('test: left open for the screenshot');
    await pass('report');

    await onPage('ops-console-actions', async (page) => {
      await logIn(page);
      await page.locator('#drift-body svg rect.bar[data-value="1"]').waitFor();
      await page.locator('#drift-body tbody tr', { hasText: 'repaired' }).waitFor();
      await page.locator('#dead-letters-body tbody tr', { hasText: 'redriven' }).waitFor();
      await page.locator('#backlog-figures figure[data-figure="outbox-pending"] svg circle').nth(1).waitFor({ timeout: 30_000 });
      expect(await page.locator('.unavailable').count()).toBe(0);
    });
  });
});

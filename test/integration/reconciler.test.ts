// The reconciler on the real services (PostgreSQL, the Temporal dev server, a worker with the real activities): each
// drift kind is made by hand the way an operator meets it (an OrderCreated published but dead-lettered, a workflow
// terminated from the Temporal client, an order finished without its notification, a workflow left running for a
// finished order), then one pass must find it and repair it, and the order's timeline tells the repair. A report-only
// pass changes nothing; two reconcilers at once repair once. The file has a database of its own: a pass looks at every
// order, and must not touch the orders other test files check.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { initOrm, migrate } from '../../src/db/orm.ts';
import { Reconciler, type PassReport } from '../../src/reconciler/reconciler.ts';
import type { ReconcileMode } from '../../src/reconciler/drift.ts';
import { getStateQuery, searchAttributes } from '../../workflows/order.definitions.ts';
import { RESUME_FROM_DATABASE } from '../../workflows/order.workflow.ts';
import { recordedPatches } from '../../src/temporal/patch-usage.ts';
import { startTestApi, type TestApi } from '../helpers/api.ts';
import { testConfig, testLogger } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { recreateOwnDatabase } from '../helpers/own-database.ts';
import type { TestSaga } from '../helpers/saga.ts';
import { createOrder, createProduct, sql, type OrderDto } from './api/support.ts';

let api: TestApi;
let saga: TestSaga;
let buyer: { id: number; token: string };
let adminToken: string;
let productId: number;

beforeAll(async () => {
  const url = await recreateOwnDatabase('reconciler');
  const schema = await initOrm(testConfig({ DATABASE_URL: url }));
  await migrate(schema);
  await schema.close();
  api = await startTestApi({ DATABASE_URL: url }, { saga: true });
  saga = api.saga!;
  buyer = await api.newUser('Reconciled Buyer');
  const operator = await api.newUser('Operator');
  await sql(api, `update users set role = 'admin' where id = ?`, [operator.id]);
  adminToken = operator.token;
  productId = (await createProduct(api, buyer.token, { stock: 1000 })).id;
});
afterAll(async () => {
  await api?.close();
});

/** A reconciler on the test saga's queue; grace 0: the drift made by a test counts at once. */
const reconciler = (mode: ReconcileMode = 'repair') =>
  new Reconciler({
    orm: api.orm,
    workflows: saga.workflows,
    log: testLogger(),
    settings: { intervalMs: 1000, graceMs: 0, batch: 100, mode, maxOutboxAgeMs: 10 * 60_000 },
  });

const findingsOf = (report: PassReport, orderId: number) =>
  report.result === 'done' ? report.findings.filter((f) => f.orderId === orderId).map(({ kind, action }) => ({ kind, action })) : [];

/** A new order whose OrderCreated the relay published (and, as far as the saga knows, the bridge never handled). */
async function publishedOrder(): Promise<OrderDto> {
  const order = await createOrder(api, buyer.token, [{ productId, quantity: 1 }]);
  await sql(api, 'update outbox set sent_at = now() where order_id = ?', [order.id]);
  return order;
}

const ref = (o: OrderDto) => ({ orderId: o.id, userId: buyer.id, total: String(o.total), createdAt: o.createdAt });
const statusOf = async (orderId: number) =>
  (await sql<{ status: string }>(api, 'select status from orders where id = ?', [orderId]))[0]?.status;
const handleOf = (orderId: number) => saga.client.workflow.getHandle(saga.workflows.workflowId(orderId));

/** Starts the order's workflow with a declined payment and waits until the row says when it expires. */
async function awaitingPayment(order: OrderDto): Promise<string> {
  await saga.workflows.ensureStarted(ref(order));
  const [row] = await eventually(
    () => sql<{ due: Date | null }>(api, 'select payment_due_at as due from orders where id = ?', [order.id]),
    (rows) => rows[0]?.due != null,
    { what: 'the payment due time recorded' },
  );
  return new Date(row!.due!).toISOString();
}

async function timelineOf(orderId: number) {
  const res = await api.request('GET', `/api/order/${orderId}/timeline`, { token: adminToken });
  expect(res.status).toBe(200);
  return res.body.entries as Array<{ source: string; event: string; detail: string }>;
}

describe('the reconciler', () => {
  it('when an OrderCreated was published but no workflow exists, then a pass starts it and the order completes', async () => {
    const order = await publishedOrder();
    saga.provider.approved.add(order.id);

    const report = await reconciler().pass();

    expect(findingsOf(report, order.id)).toEqual([{ kind: 'workflow_missing', action: 'repaired' }]);
    await eventually(
      () => statusOf(order.id),
      (s) => s === 'Completed',
      { what: 'the order completed' },
    );
    const timeline = await timelineOf(order.id);
    expect(timeline).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'reconciler', event: 'drift-repaired', detail: expect.stringContaining('workflow_missing') }),
      ]),
    );
  });

  it('when a workflow awaiting payment is terminated, then a pass starts a run that resumes the wait without charging again', async () => {
    const order = await publishedOrder();
    const dueAt = await awaitingPayment(order);
    await handleOf(order.id).terminate('test: an operator terminated the run');

    const report = await reconciler().pass();

    expect(findingsOf(report, order.id)).toEqual([{ kind: 'workflow_ended', action: 'repaired' }]);
    const state = await eventually(
      () => handleOf(order.id).query(getStateQuery),
      (s) => s.phase === 'awaiting-payment',
      { what: 'the new run waiting for payment' },
    );
    expect(state.expiresAt).toBe(dueAt);
    expect(saga.provider.charged.filter((id) => id === order.id)).toHaveLength(1);
    // The resumed run still takes the customer's payment.
    const paid = await api.request('POST', `/api/order/${order.id}/pay`, { token: buyer.token });
    expect([200, 202]).toContain(paid.status);
    await eventually(
      () => statusOf(order.id),
      (s) => s === 'Completed',
      { what: 'the order completed' },
    );
    expect((await timelineOf(order.id)).filter((e) => e.source === 'reconciler')).toEqual([
      expect.objectContaining({ event: 'drift-repaired', detail: expect.stringContaining('terminated') }),
    ]);
  });

  it('when a workflow is terminated while its charge is in flight, then a new run finishes the order', async () => {
    const order = await publishedOrder();
    const release = saga.provider.hold(order.id);
    await saga.workflows.ensureStarted(ref(order));
    await eventually(async () => saga.provider.charged.includes(order.id), Boolean, { what: 'the charge started' });
    await handleOf(order.id).terminate('test: lost mid-charge');
    saga.provider.approved.add(order.id);
    release();

    const report = await reconciler().pass();

    expect(findingsOf(report, order.id)).toEqual([{ kind: 'workflow_ended', action: 'repaired' }]);
    // The new run charges again (the same key: the provider answers the same), or, when the terminated run's worker
    // had already finished the order with its charge's answer, finds it Completed and records that (v5).
    expect((await handleOf(order.id).result()).status).toBe('Completed');
    expect(await statusOf(order.id)).toBe('Completed');
  });

  it('when a waiting order whose workflow was terminated is paid, then the request starts a run that resumes it, before any pass', async () => {
    const order = await publishedOrder();
    await awaitingPayment(order);
    await handleOf(order.id).terminate('test: an operator terminated the run');

    const paid = await api.request('POST', `/api/order/${order.id}/pay`, { token: buyer.token });

    expect([200, 202]).toContain(paid.status);
    await eventually(
      () => statusOf(order.id),
      (s) => s === 'Completed',
      { what: 'the order completed' },
    );
    expect(await handleOf(order.id).query(getStateQuery)).toEqual(expect.objectContaining({ status: 'Completed' }));
    // The new run took the resume branch: it found the order awaiting payment and did not charge again. (Its state's
    // expiresAt is the order's due time only when its first step returned before the pay signal arrived: the request
    // starts the run, then signals it, and either order is right.)
    const history = await handleOf(order.id).fetchHistory();
    expect(recordedPatches(history.events ?? []).has(RESUME_FROM_DATABASE)).toBe(true);
    expect(saga.provider.charged.filter((id) => id === order.id)).toHaveLength(1);
    // No workflow drift left for the reconciler (this test runs no notifier, so the notification is its only finding).
    expect(findingsOf(await reconciler().pass(), order.id)).toEqual([{ kind: 'notification_missing', action: 'repaired' }]);
  });

  it('when a finished order has no notification, then a pass writes its outcome event again, and only once', async () => {
    const order = await publishedOrder();
    await sql(api, `update orders set status = 'Completed', updated_at = now() where id = ?`, [order.id]);
    const outcomes = () =>
      sql<{ type: string }>(api, `select payload->>'type' as type from outbox where order_id = ? and payload->>'type' <> 'OrderCreated'`, [
        order.id,
      ]);

    const report = await reconciler().pass();
    const again = await reconciler().pass();

    expect(findingsOf(report, order.id)).toEqual([{ kind: 'notification_missing', action: 'repaired' }]);
    expect(findingsOf(again, order.id)).toEqual([]);
    expect(await outcomes()).toEqual([{ type: 'OrderCompleted' }]);
  });

  it('when a workflow keeps running for an order finished by hand, then a pass asks it to end and it ends with that status', async () => {
    const order = await publishedOrder();
    await awaitingPayment(order);
    await sql(api, `update orders set status = 'Cancelled', updated_at = now() - interval '1 minute' where id = ?`, [order.id]);
    const workflowId = saga.workflows.workflowId(order.id);
    await eventually(
      () => saga.workflows.runningPage(new Date(), 1000, null),
      (page) => page.orderIds.includes(order.id),
      { what: `${workflowId} in the visibility list` },
    );

    const report = await reconciler().pass();

    expect(findingsOf(report, order.id)).toContainEqual({ kind: 'workflow_orphaned', action: 'repaired' });
    const result = await handleOf(order.id).result();
    expect(result.status).toBe('Cancelled');
    expect(await statusOf(order.id)).toBe('Cancelled');
  });

  it('when a run is terminated after its last step finished the order, then a pass starts a run that records the final status', async () => {
    const order = await publishedOrder();
    await awaitingPayment(order);
    // What a terminate between the expire step and the run's completion leaves: the order Expired in the database,
    // the latest run terminated with OrderStatus still Processing.
    await handleOf(order.id).terminate('test: terminated after its last step');
    await sql(api, `update orders set status = 'Expired', updated_at = now() where id = ?`, [order.id]);
    await eventually(
      () => saga.workflows.endedUnfinishedPage({ after: new Date(Date.now() - 10 * 60_000), before: new Date() }, 1000, null),
      (page) => page.orderIds.includes(order.id),
      { what: 'the terminated run in the visibility list' },
    );

    const report = await reconciler().pass();

    expect(findingsOf(report, order.id)).toContainEqual({ kind: 'workflow_ended_final', action: 'repaired' });
    expect((await handleOf(order.id).result()).status).toBe('Expired');
    const latest = await handleOf(order.id).describe();
    expect(latest.status.name).toBe('COMPLETED');
    expect(latest.typedSearchAttributes.get(searchAttributes.orderStatus)).toBe('Expired');
    expect(await statusOf(order.id)).toBe('Expired');
    expect(saga.provider.charged.filter((id) => id === order.id)).toHaveLength(1);
    // Repaired once: the next pass finds the order's latest run completed.
    const kinds = findingsOf(await reconciler().pass(), order.id).map((f) => f.kind);
    expect(kinds).not.toContain('workflow_ended_final');
  });

  it('when the mode is report, then a pass records the drift, pass after pass as one finding, and changes nothing', async () => {
    const order = await publishedOrder();
    const outboxBefore = await sql(api, 'select id from outbox where order_id = ?', [order.id]);

    const first = await reconciler('report').pass();
    await reconciler('report').pass();

    expect(findingsOf(first, order.id)).toEqual([{ kind: 'workflow_missing', action: 'reported' }]);
    expect(await saga.workflows.presence(order.id)).toEqual({ state: 'none' });
    expect(await statusOf(order.id)).toBe('Pending');
    expect(await sql(api, 'select id from outbox where order_id = ?', [order.id])).toEqual(outboxBefore);
    const rows = await sql<{ action: string; times_seen: number }>(
      api,
      'select action, times_seen from drift_findings where order_id = ?',
      [order.id],
    );
    expect(rows).toEqual([{ action: 'reported', times_seen: 2 }]);
    // Repair mode takes it from there.
    expect(findingsOf(await reconciler().pass(), order.id)).toEqual([{ kind: 'workflow_missing', action: 'repaired' }]);
  });

  it('when two reconcilers pass at the same time, then the drift is repaired once', async () => {
    const order = await publishedOrder();
    saga.provider.approved.add(order.id);

    const reports = await Promise.all([reconciler().pass(), reconciler().pass(), reconciler().pass()]);

    const repairs = reports.flatMap((r) => findingsOf(r, order.id)).filter((f) => f.action === 'repaired');
    expect(repairs).toEqual([{ kind: 'workflow_missing', action: 'repaired' }]);
    const rows = await sql(api, `select id from drift_findings where order_id = ? and action = 'repaired'`, [order.id]);
    expect(rows).toHaveLength(1);
  });

  it('when an admin asks GET /api/admin/drift, then it lists the findings and the last pass; a customer gets 403, anonymous 401', async () => {
    await reconciler().pass();

    const res = await api.request('GET', '/api/admin/drift?limit=2', { token: adminToken });

    expect(res.status).toBe(200);
    expect(res.body.lastPass).toEqual(expect.objectContaining({ mode: 'repair', at: expect.any(String) }));
    expect(res.body.items).toHaveLength(2);
    expect(res.body.items[0]).toEqual(
      expect.objectContaining({ kind: expect.any(String), action: expect.any(String), detail: expect.any(String) }),
    );
    expect(res.headers.get('link')).toMatch(/rel="next"/);
    const filtered = await api.request('GET', '/api/admin/drift?kind=workflow_ended', { token: adminToken });
    const kinds = (filtered.body.items as Array<{ kind: string }>).map((i) => i.kind);
    expect(kinds.length).toBeGreaterThan(0);
    expect(new Set(kinds)).toEqual(new Set(['workflow_ended']));
    expect((await api.request('GET', '/api/admin/drift?kind=nonsense', { token: adminToken })).status).toBe(400);
    expect((await api.request('GET', '/api/admin/drift', { token: buyer.token })).status).toBe(403);
    expect((await api.request('GET', '/api/admin/drift')).status).toBe(401);
  });
});

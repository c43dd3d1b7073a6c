// OrderWorkflow on Temporal's time-skipping test server with stubbed activities: every path of the saga, where a
// 10-minute expiry passes in (wall-clock) seconds.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { createActivities } from '../../activities/index.ts';
import { OrderWorkflowClient } from '../../src/temporal/order-workflow.client.ts';
import { createWorker } from '../../src/temporal/worker.ts';
import {
  cancelOrderUpdate,
  confirmPaymentUpdate,
  getStateQuery,
  orderRequestSignal,
  orderWorkflowId,
  type StatusChange,
} from '../../workflows/order.definitions.ts';
import { createTimeSkippingEnv, workflowBundle } from '../helpers/temporal.ts';
import type { orderWorkflow } from '../../workflows/order.workflow.ts';
import { eventually } from '../helpers/eventually.ts';

type Activities = ReturnType<typeof createActivities>;
const TEN_MINUTES = 10 * 60 * 1000;
const idPrefix = 'order-';
let nextOrderId = 1000;

/** Stub activities that record calls; the payment result and the markProcessing answer are per test. */
function stubActivities({ approved = true, processing = 'Processing' }: { approved?: boolean; processing?: StatusChange['status'] } = {}) {
  const calls: string[] = [];
  const change = (name: string, status: StatusChange['status']) => async () => {
    calls.push(name);
    return { status, changed: true };
  };
  const activities: Activities = {
    markProcessing: async () => {
      calls.push('markProcessing');
      return { status: processing, changed: processing === 'Processing' };
    },
    chargePayment: async () => {
      calls.push('chargePayment');
      return { approved, reference: 'test' };
    },
    completeOrder: change('completeOrder', 'Completed'),
    cancelOrder: change('cancelOrder', 'Cancelled'),
    expireOrder: change('expireOrder', 'Expired'),
    recordPaymentDue: async () => {
      calls.push('recordPaymentDue');
      return true;
    },
  };
  return { calls, activities };
}

describe('OrderWorkflow (time-skipping test server, stubbed activities)', () => {
  let env: TestWorkflowEnvironment;
  let taskQueue: string;
  let workflows: OrderWorkflowClient;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    taskQueue = `order-workflow-test-${process.pid}`;
    workflows = new OrderWorkflowClient(env.client, { taskQueue, expiryMs: TEN_MINUTES, idPrefix });
  });

  afterAll(async () => {
    await env?.teardown();
  });

  const handleOf = (orderId: number) => env.client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(idPrefix, orderId));
  const newOrder = () => ({ orderId: ++nextOrderId, userId: 7, total: '1029.98', createdAt: new Date().toISOString() });

  /** Starts the order's workflow and waits until it is waiting for payment (its payment was declined). */
  async function startedAndWaiting(order: ReturnType<typeof newOrder>) {
    await workflows.ensureStarted(order);
    const handle = handleOf(order.orderId);
    const waiting = await eventually(
      () => handle.query(getStateQuery),
      (s) => s.phase === 'awaiting-payment',
      { what: 'awaiting payment' },
    );
    return { handle, waiting };
  }

  async function withWorker<T>(activities: Activities, body: () => Promise<T>): Promise<T> {
    const worker = await createWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
    });
    return worker.runUntil(body());
  }

  it('when the payment is approved, then the order is completed', async () => {
    const { calls, activities } = stubActivities({ approved: true });
    const order = newOrder();
    const state = await withWorker(activities, async () => {
      await workflows.ensureStarted(order);
      return handleOf(order.orderId).result();
    });
    expect(state.status).toBe('Completed');
    expect(calls).toEqual(['markProcessing', 'chargePayment', 'completeOrder']);
  });

  it('when the payment is declined and nobody pays, then the order expires after 10 minutes of (skipped) time', async () => {
    const { calls, activities } = stubActivities({ approved: false });
    const order = newOrder();
    const { state, startedAt, endedAt } = await withWorker(activities, async () => {
      await workflows.ensureStarted(order);
      const handle = handleOf(order.orderId);
      const description = await handle.describe();
      const result = await handle.result();
      const closed = await handle.describe();
      return { state: result, startedAt: description.startTime.getTime(), endedAt: closed.closeTime!.getTime() };
    });
    expect(state.status).toBe('Expired');
    expect(state.paymentApproved).toBe(false);
    expect(calls).toEqual(['markProcessing', 'chargePayment', 'recordPaymentDue', 'expireOrder']);
    // The server's clock moved by the expiry: the durable timer fired, it was not cut short.
    expect(endedAt - startedAt).toBeGreaterThanOrEqual(TEN_MINUTES);
  });

  it('when the payment is declined and then confirmed before the expiry, then the order is completed', async () => {
    const { calls, activities } = stubActivities({ approved: false });
    const order = newOrder();
    const result = await withWorker(activities, async () => {
      const { handle, waiting } = await startedAndWaiting(order);
      expect(waiting.expiresAt).not.toBeNull();
      await env.sleep('9m'); // most of the expiry passes; the timer has not fired yet
      return handle.executeUpdate(confirmPaymentUpdate);
    });
    expect(result).toBe('Completed');
    expect(calls).toEqual(['markProcessing', 'chargePayment', 'recordPaymentDue', 'completeOrder']);
  });

  it.each([
    ['pay', 'Completed', 'completeOrder'],
    ['cancel', 'Cancelled', 'cancelOrder'],
  ] as const)(
    'when a %s request arrives as a signal while the order waits, then it takes effect like the update',
    async (request, status, step) => {
      const { calls, activities } = stubActivities({ approved: false });
      const order = newOrder();
      const state = await withWorker(activities, async () => {
        const { handle } = await startedAndWaiting(order);
        await handle.signal(orderRequestSignal, request);
        return handle.result();
      });
      expect(state.status).toBe(status);
      expect(calls).toEqual(['markProcessing', 'chargePayment', 'recordPaymentDue', step]);
    },
  );

  it('when the customer cancels while the order waits for payment, then the compensation runs and the order is cancelled', async () => {
    const { calls, activities } = stubActivities({ approved: false });
    const order = newOrder();
    const result = await withWorker(activities, async () => {
      const { handle } = await startedAndWaiting(order);
      return handle.executeUpdate(cancelOrderUpdate);
    });
    expect(result).toBe('Cancelled');
    expect(calls).toEqual(['markProcessing', 'chargePayment', 'recordPaymentDue', 'cancelOrder']);
  });

  it('when an order is already completed, then a later cancellation is refused and the outcome stays', async () => {
    const { activities } = stubActivities({ approved: false });
    const order = newOrder();
    await withWorker(activities, async () => {
      const { handle } = await startedAndWaiting(order);
      expect(await handle.executeUpdate(confirmPaymentUpdate)).toBe('Completed');
      // The payment update was answered in the workflow task that also closed the run, so no run is left to update.
      const refused = handle.executeUpdate(cancelOrderUpdate);
      await expect(refused).rejects.toBeInstanceOf(WorkflowNotFoundError);
      await expect(refused).rejects.toMatchObject({ workflowId: handle.workflowId });
      expect((await handle.result()).status).toBe('Completed');
    });
  });

  it.each([
    ['in 3 minutes', 3 * 60_000, ['markProcessing', 'expireOrder']],
    ['already past', -60_000, ['markProcessing', 'expireOrder']],
  ] as const)(
    'when a new run finds its order already Processing with a payment due %s (v6), then it waits until then without charging',
    async (_, dueInMs, expectedCalls) => {
      const { calls, activities } = stubActivities({ approved: true });
      const dueAt = new Date((await env.currentTimeMs()) + dueInMs).toISOString();
      activities.markProcessing = async () => {
        calls.push('markProcessing');
        return { status: 'Processing', changed: false, paymentDueAt: dueAt };
      };
      const order = newOrder();
      const { state, closedAt } = await withWorker(activities, async () => {
        await workflows.ensureStarted(order);
        const handle = handleOf(order.orderId);
        const result = await handle.result();
        return { state: result, closedAt: (await handle.describe()).closeTime!.getTime() };
      });
      expect(state).toEqual(expect.objectContaining({ status: 'Expired', expiresAt: dueAt, paymentApproved: null }));
      expect(calls).toEqual(expectedCalls);
      // The durable timer ran to the recorded due time, not a fresh ORDER_EXPIRY from now.
      expect(closedAt).toBeGreaterThanOrEqual(Date.parse(dueAt));
      expect(closedAt).toBeLessThan(Date.parse(dueAt) + TEN_MINUTES);
    },
  );

  it('when a resumed run waiting for its recorded due time gets the payment, then the order completes', async () => {
    const { calls, activities } = stubActivities({ approved: false });
    const dueAt = new Date((await env.currentTimeMs()) + 5 * 60_000).toISOString();
    activities.markProcessing = async () => {
      calls.push('markProcessing');
      return { status: 'Processing', changed: false, paymentDueAt: dueAt };
    };
    const order = newOrder();
    const state = await withWorker(activities, async () => {
      const { handle, waiting } = await startedAndWaiting(order);
      expect(waiting.expiresAt).toBe(dueAt);
      await handle.signal(orderRequestSignal, 'pay');
      return handle.result();
    });
    expect(state.status).toBe('Completed');
    expect(calls).toEqual(['markProcessing', 'completeOrder']);
  });

  it('when the same order is started twice, while running and after it closed, then there is only ever one run', async () => {
    const { calls, activities } = stubActivities({ approved: true });
    const order = newOrder();
    await withWorker(activities, async () => {
      expect(await workflows.ensureStarted(order)).toBe('started-or-running');
      expect(await workflows.ensureStarted(order)).toBe('started-or-running');
      await handleOf(order.orderId).result();
      expect(await workflows.ensureStarted(order)).toBe('already-closed');
      // Same id, different order (ids restarted after a database reset): reported, never silently skipped.
      expect(await workflows.ensureStarted({ ...order, createdAt: '2000-01-01T00:00:00.000Z' })).toBe('id-used-by-another-order');
    });
    expect(calls.filter((c) => c === 'markProcessing')).toHaveLength(1);
    expect(calls.filter((c) => c === 'completeOrder')).toHaveLength(1);
  });

  it.each([
    ['deleted while Pending', 'Missing', 'Gone'],
    ['already Completed (its earlier task did the work, but the task completion was lost)', 'Completed', 'Completed'],
    ['already Cancelled', 'Cancelled', 'Cancelled'],
    ['already Expired', 'Expired', 'Expired'],
  ] as const)(
    'when the order was %s, then the run ends without charging or changing anything, as %s → %s',
    async (_case, found, recorded) => {
      const { calls, activities } = stubActivities({ processing: found });
      const order = newOrder();
      const state = await withWorker(activities, async () => {
        await workflows.ensureStarted(order);
        return handleOf(order.orderId).result();
      });
      expect(state.status).toBe(recorded);
      expect(state.phase).toBe('done');
      expect(calls).toEqual(['markProcessing']);
    },
  );
});

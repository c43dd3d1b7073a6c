// OrderWorkflow: drives one order to exactly one outcome.
//   markProcessing → chargePayment → paid:     completeOrder                      → Completed (+ OrderCompleted)
//                                  → declined: wait ≤ expiryMs for confirmPayment | cancelOrder (durable timer)
//                                              confirmed → completeOrder          → Completed (+ OrderCompleted)
//                                              cancelled → cancelOrder            → Cancelled (+ OrderCancelled, stock released)
//                                              timer     → expireOrder            → Expired   (+ OrderExpired, stock released)
// Each database step is one conditional transaction (status change + outbox event + stock release together), so a
// retry never applies twice. An order that is gone or already past Pending ends the run quietly.
//
// Versions (keep every branch while histories of it may exist; test/workflows/histories/ holds one set per version
// still replayed, test/workflows/retired-histories/ the sets of retired branches, which no longer replay):
//   v1  database steps as ordinary activities: 4 workflow tasks and 3 activity tasks per paid order.
//   v2  patch LOCAL_DB_STEPS: database steps as local activities, run by the worker inside the workflow task that
//       needs them, so a paid order takes 2 workflow tasks and 1 activity task (the payment). The steps are short,
//       idempotent transactions, which is what local activities are for.
//   v3  patch RECORD_PAYMENT_DUE: after a declined payment, one more local step writes the expiry time to the order
//       row, so the API shows `phase: awaiting-payment` and `paymentDueAt` without a Temporal round trip.
//   The patches of v2 and v3 are retired: deprecatePatch() instead of patched(), so the old branches (v1's activity
//   tasks, v2's run without a due time) are gone, after `npm run patches:usage` found no open run without their markers.
//   v4  patch LOCAL_PAYMENT: the payment is a local activity too, so a paid order is one workflow task and no
//       activity task: the engine's cost per order (tasks, events, matching) is what bounds the saga's rate. The
//       charge lasts seconds (PAYMENT_DURATION) and is idempotent by its key, which is what a local activity needs:
//       after a worker crash the next worker runs it again from the last recorded step and the provider answers the
//       same charge the same way. Updates and signals that arrive meanwhile are handled when the charge returns.
//   v5  patch ADOPT_FINAL_STATUS: a run that finds its order already Completed, Cancelled or Expired records that
//       status instead of `Gone`. It happens when a workflow task did its database steps but its completion never
//       reached Temporal (a worker or network fault): the retried task finds the order finished by its own earlier
//       attempt, and Temporal's OrderStatus must still say what the database says.
//       Its history set is recorded the way the API drives runs since then: requests arrive as the orderRequest signal,
//       one of them (paid-during-charge) while the charge holds the workflow task.
//   v6  patch RESUME_FROM_DATABASE: a run that finds its order already Processing with a payment due time (an earlier
//       run was terminated or lost after a declined charge, and the reconciler started this one) waits for payment
//       until that due time instead of charging again and restarting the expiry clock. An order found Processing
//       without a due time was still being charged: the charge runs again, idempotent by its key.
//
// With Worker Deployment Versioning on (WORKER_VERSIONING), every run is PINNED to the build it started on (the
// versioned worker's default behavior, src/temporal/worker.ts; not set here: the server refuses a behavior from a
// worker without versioning). A change only new runs need can ship as a new build without patched(); a change running
// orders must pick up, or a run that is not pinned, still needs patched() (docs/architecture.md, deploying).
import {
  allHandlersFinished,
  condition,
  deprecatePatch,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createOrderActivities } from '../activities/order.activities.ts';
import type { createPaymentActivities } from '../activities/payment.activities.ts';
import { isFinalStatus } from '../src/domain/order-lifecycle.ts';
import {
  awaitProcessingUpdate,
  cancelOrderUpdate,
  confirmPaymentUpdate,
  getStateQuery,
  orderRequestSignal,
  searchAttributes,
  type OrderWorkflowState,
  type OrderWorkflowInput,
  type WorkflowOrderStatus,
} from './order.definitions.ts';

type DatabaseSteps = ReturnType<typeof createOrderActivities>;
const databaseStepOptions = {
  startToCloseTimeout: '30s',
  // PostgreSQL down is retried until it is back: giving up would leave the order stuck.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
} as const;
const localDb = proxyLocalActivities<DatabaseSteps>(databaseStepOptions);

export const LOCAL_DB_STEPS = 'local-db-steps';
/** v4: the payment runs as a local activity. */
export const LOCAL_PAYMENT = 'local-payment';
/** v5: an order found already final keeps its status in Temporal. */
export const ADOPT_FINAL_STATUS = 'adopt-final-status';
/** v3: when payment was declined, the expiry time is written to the order row (its `paymentDueAt`). */
export const RECORD_PAYMENT_DUE = 'record-payment-due';
/** v6: a run for an order already awaiting payment resumes that wait (its due time from the database). */
export const RESUME_FROM_DATABASE = 'resume-from-database';

type Payments = ReturnType<typeof createPaymentActivities>;
const paymentRetry = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 } as const;
const remotePayments = proxyActivities<Payments>({ startToCloseTimeout: '10m', heartbeatTimeout: '15s', retry: paymentRetry });
// One attempt may outlast the workflow task timeout (10 s): the worker then extends the task by itself.
const localPayments = proxyLocalActivities<Payments>({ startToCloseTimeout: '2m', retry: paymentRetry });

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderWorkflowState> {
  const state: OrderWorkflowState = {
    orderId: input.orderId,
    status: 'Pending',
    phase: 'starting',
    paymentApproved: null,
    expiresAt: null,
  };
  // Retired branches (no open run may still need them; their histories are in test/workflows/retired-histories/):
  // v1's database steps as activity tasks. The deprecated marker keeps v2+ histories replaying.
  deprecatePatch(LOCAL_DB_STEPS);
  const db = localDb;
  // Decided once, before the first command, so a run keeps the version it started with.
  const payments = patched(LOCAL_PAYMENT) ? localPayments : remotePayments;
  let paymentConfirmed = false;
  let cancelRequested = false;
  const isFinal = () => state.status === 'Gone' || isFinalStatus(state.status);
  const setStatus = (status: WorkflowOrderStatus) => {
    state.status = status;
    upsertSearchAttributes([{ key: searchAttributes.orderStatus, value: status }]);
  };
  const rejectWhenFinal = () => {
    if (isFinal()) throw new Error(`order is already ${state.status}`);
  };

  setHandler(getStateQuery, () => state);
  setHandler(
    confirmPaymentUpdate,
    async () => {
      paymentConfirmed = true;
      await condition(isFinal);
      return state.status;
    },
    { validator: rejectWhenFinal },
  );
  setHandler(
    cancelOrderUpdate,
    async () => {
      cancelRequested = true;
      await condition(isFinal);
      return state.status;
    },
    { validator: rejectWhenFinal },
  );
  setHandler(orderRequestSignal, (request) => {
    if (isFinal()) return; // too late: the outcome is decided
    if (request === 'pay') paymentConfirmed = true;
    if (request === 'cancel') cancelRequested = true;
    // 'process': the signal's start of the workflow was the request.
  });
  setHandler(awaitProcessingUpdate, async () => {
    await condition(() => state.status !== 'Pending');
    return state.status;
  });

  const started = await db.markProcessing(input.orderId);
  if (started.status !== 'Processing') {
    // Deleted while Pending (Missing), or already finished: by this run's own earlier attempt of this task, whose
    // completion was lost, or by a run whose history was dropped. Nothing to do; a finished order keeps its status.
    const found = started.status;
    const finished = found !== 'Missing' && isFinalStatus(found) && patched(ADOPT_FINAL_STATUS);
    setStatus(finished ? found : 'Gone');
    state.phase = 'done';
    await condition(allHandlersFinished);
    return state;
  }
  setStatus('Processing');
  // The marker is only recorded by runs that resume, so the histories of ordinary runs do not change.
  const resumedDueAt = !started.changed && started.paymentDueAt && patched(RESUME_FROM_DATABASE) ? started.paymentDueAt : null;

  if (resumedDueAt === null && !cancelRequested && !paymentConfirmed) {
    state.phase = 'charging';
    const payment = await payments.chargePayment({ orderId: input.orderId, total: input.total });
    state.paymentApproved = payment.approved;
    if (payment.approved) paymentConfirmed = true;
  }

  if (!paymentConfirmed && !cancelRequested) {
    state.phase = 'awaiting-payment';
    if (resumedDueAt !== null) {
      state.expiresAt = resumedDueAt;
      const remainingMs = Date.parse(resumedDueAt) - Date.now();
      if (remainingMs > 0) await condition(() => paymentConfirmed || cancelRequested, remainingMs);
    } else {
      state.expiresAt = new Date(Date.now() + input.expiryMs).toISOString();
      // Retired branch: v2 did not record the due time.
      deprecatePatch(RECORD_PAYMENT_DUE);
      await db.recordPaymentDue(input.orderId, state.expiresAt);
      await condition(() => paymentConfirmed || cancelRequested, input.expiryMs);
    }
  }

  state.phase = 'finishing';
  const outcome = paymentConfirmed
    ? await db.completeOrder(input.orderId)
    : cancelRequested
      ? await db.cancelOrder(input.orderId)
      : await db.expireOrder(input.orderId);
  setStatus(outcome.status === 'Missing' || outcome.status === 'Pending' ? 'Gone' : outcome.status);
  state.phase = 'done';
  // Let pending update handlers return their result before the run closes.
  await condition(allHandlersFinished);
  return state;
}

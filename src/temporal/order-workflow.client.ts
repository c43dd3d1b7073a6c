// Client side of OrderWorkflow, shared by the bridge (start on OrderCreated) and the API (pay, cancel, process).
// Every entry point starts the workflow if it is not running yet, with the same id and options: id conflict policy
// USE_EXISTING (a second start joins the running one) and id reuse policy REJECT_DUPLICATE (no second run after the
// first closed). So a duplicate OrderCreated, or an API call that beats the bridge, never creates a second saga.
import {
  isGrpcDeadlineError,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { UnavailableError } from '../domain/errors.ts';
import {
  awaitProcessingUpdate,
  cancelOrderUpdate,
  confirmPaymentUpdate,
  orderRequestSignal,
  orderWorkflowId,
  searchAttributes,
  type OrderRequest,
  type OrderWorkflowInput,
  type WorkflowOrderStatus,
} from '../../workflows/order.definitions.ts';
import { workflowTimeline, type TimelineEntry } from './order-history.ts';
import { orderWorkflow } from '../../workflows/order.workflow.ts';

/** What a saga needs to start: the order's identity (createdAt tells two orders with the same id apart). */
export type OrderRef = { orderId: number; userId: number; total: string; createdAt: string };
export type OrderWorkflowSettings = { taskQueue: string; expiryMs: number; idPrefix: string };
/** What an update request came to: the status the workflow answered with, or still running at the deadline. */
export type UpdateOutcome = WorkflowOrderStatus | 'in-progress';

/** Past the deadline the update's gRPC call is cancelled; this much later the caller gets its answer whatever happens. */
const DEADLINE_GRACE_MS = 300;
/** How long recording a request as a signal may take after the update's deadline (within the promised 1 s). */
const SIGNAL_TIMEOUT_MS = 600;

/** A second start joins the running workflow instead of failing. */
const joinRunning = { workflowIdConflictPolicy: 'USE_EXISTING' } as const;

function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === 14) return true; // gRPC UNAVAILABLE
  }
  return false;
}

export class OrderWorkflowClient {
  private readonly client: Client;
  private readonly settings: OrderWorkflowSettings;

  constructor(client: Client, settings: OrderWorkflowSettings) {
    this.client = client;
    this.settings = settings;
  }

  workflowId(orderId: number): string {
    return orderWorkflowId(this.settings.idPrefix, orderId);
  }

  private startOptions(order: OrderRef) {
    const input: OrderWorkflowInput = { ...order, expiryMs: this.settings.expiryMs };
    return {
      workflowId: this.workflowId(order.orderId),
      taskQueue: this.settings.taskQueue,
      args: [input] as [OrderWorkflowInput],
      workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
      typedSearchAttributes: [
        { key: searchAttributes.orderId, value: String(order.orderId) },
        { key: searchAttributes.userId, value: String(order.userId) },
        { key: searchAttributes.orderStatus, value: 'Pending' },
      ],
      memo: { total: order.total, orderCreatedAt: order.createdAt },
      // Shown by the Temporal Web UI on the workflow's page (summary in lists too), fixed at start.
      staticSummary: `Order #${order.orderId} of user ${order.userId}, total ${order.total}`,
      staticDetails: [
        `**Order** #${order.orderId}  `,
        `**User** ${order.userId}  `,
        `**Total** ${order.total}  `,
        `**Placed** ${order.createdAt}  `,
        `**Expires unpaid after** ${Math.round(this.settings.expiryMs / 1000)} s`,
      ].join('\n'),
    };
  }

  /**
   * Makes sure the order's saga exists: resolves once Temporal has it (started now, already running, or already
   * closed — the last two are the duplicate deliveries the bridge must treat as success).
   */
  async ensureStarted(order: OrderRef): Promise<'started-or-running' | 'already-closed' | 'id-used-by-another-order'> {
    try {
      await this.client.workflow.start(orderWorkflow, { ...this.startOptions(order), ...joinRunning });
      return 'started-or-running';
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // A closed run with this id: the same order delivered again (fine), or a different order that got the same id
      // because the database was reset while Temporal kept its history (that order would never be processed).
      const { memo } = await this.client.workflow.getHandle(this.workflowId(order.orderId)).describe();
      const earlier = memo?.orderCreatedAt;
      return earlier === undefined || earlier === order.createdAt ? 'already-closed' : 'id-used-by-another-order';
    }
  }

  /**
   * Sends an update (starting the workflow if needed) and waits for its result until `deadline`. A workflow that has
   * not answered by then (a backlog, no worker polling) gets the request as a signal instead, which is durable at
   * once: 'in-progress', the request takes effect when the workflow gets there. Temporal unreachable (or not
   * recording the signal in time) is an UnavailableError; any other refusal is rethrown.
   */
  private async update(
    order: OrderRef,
    update: typeof confirmPaymentUpdate,
    request: OrderRequest,
    deadline: Date,
  ): Promise<UpdateOutcome> {
    const call = this.client.connection.withDeadline(deadline, () =>
      this.client.workflow.executeUpdateWithStart(update, {
        startWorkflowOperation: new WithStartWorkflowOperation(orderWorkflow, { ...this.startOptions(order), ...joinRunning }),
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const backstop = new Promise<'no-answer'>((resolve) => {
      timer = setTimeout(() => resolve('no-answer'), Math.max(0, deadline.getTime() - Date.now()) + DEADLINE_GRACE_MS);
    });
    try {
      const outcome = await Promise.race([call, backstop]);
      if (outcome !== 'no-answer') return outcome;
    } catch (err) {
      const noAnswer = err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err) || isUnavailable(err);
      if (!noAnswer) throw err;
    } finally {
      clearTimeout(timer);
      call.catch(() => undefined); // the backstop may have answered first
    }
    await this.record(order, request);
    return 'in-progress';
  }

  /** Records the request as a signal (starting the workflow if needed); UnavailableError when Temporal does not take it. */
  private async record(order: OrderRef, request: OrderRequest): Promise<void> {
    // Signal-with-start joins a running workflow by definition (it takes no conflict policy).
    const options = this.startOptions(order);
    try {
      await this.client.connection.withDeadline(Date.now() + SIGNAL_TIMEOUT_MS, () =>
        this.client.workflow.signalWithStart(orderWorkflow, { ...options, signal: orderRequestSignal, signalArgs: [request] }),
      );
    } catch (err) {
      // A closed run refuses a new start (REJECT_DUPLICATE): the order is final, the database says how.
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw new UnavailableError('Order processing is temporarily unavailable; please retry');
    }
  }

  /** Resolves with the order's final status once the confirmation took effect. */
  confirmPayment(order: OrderRef, deadline: Date): Promise<UpdateOutcome> {
    return this.update(order, confirmPaymentUpdate, 'pay', deadline);
  }

  /** Resolves with the order's final status (Cancelled, or Completed if payment won the race). */
  cancel(order: OrderRef, deadline: Date): Promise<UpdateOutcome> {
    return this.update(order, cancelOrderUpdate, 'cancel', deadline);
  }

  /** The workflow's part of the order's timeline (src/orders/order-timeline.ts); throws when Temporal cannot say. */
  timeline(orderId: number): Promise<TimelineEntry[]> {
    return workflowTimeline(this.client, this.workflowId(orderId));
  }

  /** Resolves once the order has left Pending. */
  awaitProcessing(order: OrderRef, deadline: Date): Promise<UpdateOutcome> {
    return this.update(order, awaitProcessingUpdate, 'process', deadline);
  }
}

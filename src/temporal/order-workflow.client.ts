// Client side of OrderWorkflow, shared by the bridge (start on OrderCreated) and the API (pay, cancel, process).
// Every entry point starts the workflow if it is not running yet, with the same id and options: id conflict policy
// USE_EXISTING (a second start joins the running one) and id reuse policy REJECT_DUPLICATE (no second run after the
// first closed). So a duplicate OrderCreated, or an API call that beats the bridge, never creates a second saga.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { UnavailableError } from '../domain/errors.ts';
import {
  orderRequestSignal,
  orderWorkflowId,
  searchAttributes,
  type OrderRequest,
  type OrderWorkflowInput,
} from '../../workflows/order.definitions.ts';
import { workflowTimeline, type TimelineEntry } from './order-history.ts';
import { orderWorkflow } from '../../workflows/order.workflow.ts';

/** What a saga needs to start: the order's identity (createdAt tells two orders with the same id apart). */
export type OrderRef = { orderId: number; userId: number; total: string; createdAt: string };
export type OrderWorkflowSettings = { taskQueue: string; expiryMs: number; idPrefix: string };
/** What recording a customer's request came to: in the workflow's history, or the workflow had already ended. */
export type RequestOutcome = 'recorded' | 'closed';

/** A second start joins the running workflow instead of failing. */
const joinRunning = { workflowIdConflictPolicy: 'USE_EXISTING' } as const;

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
   * Records a customer's request (pay, cancel, process) in the order's workflow as a signal, starting the workflow
   * first if it is not running yet. A signal is in the workflow's history once this resolves, whether a worker is
   * polling or the workflow is busy (a charge in flight keeps its workflow task open for seconds), so the request is
   * never lost and the caller never waits for the workflow to act on it: the database tells when it has. 'closed':
   * the order's workflow has already ended (REJECT_DUPLICATE refuses a second run), nothing was recorded. Temporal
   * unreachable, or not answering by `deadline`, is an UnavailableError.
   */
  async request(order: OrderRef, request: OrderRequest, deadline: Date): Promise<RequestOutcome> {
    // Signal-with-start joins a running workflow by definition (it takes no conflict policy).
    const options = this.startOptions(order);
    try {
      await this.client.connection.withDeadline(deadline, () =>
        this.client.workflow.signalWithStart(orderWorkflow, { ...options, signal: orderRequestSignal, signalArgs: [request] }),
      );
      return 'recorded';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'closed';
      throw new UnavailableError('Order processing is temporarily unavailable; please retry');
    }
  }

  /** The workflow's part of the order's timeline (src/orders/order-timeline.ts); throws when Temporal cannot say. */
  timeline(orderId: number): Promise<TimelineEntry[]> {
    return workflowTimeline(this.client, this.workflowId(orderId));
  }
}

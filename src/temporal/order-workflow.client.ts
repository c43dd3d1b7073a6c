// Client side of OrderWorkflow, shared by the bridge (start on OrderCreated) and the API (pay, cancel, process).
// Every entry point starts the workflow if it is not running yet, with the same id and options: id conflict policy
// USE_EXISTING (a second start joins the running one) and id reuse policy REJECT_DUPLICATE (no second run after the
// first closed). So a duplicate OrderCreated, or an API call that beats the bridge, never creates a second saga.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
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
export type OrderWorkflowSettings = {
  taskQueue: string;
  expiryMs: number;
  idPrefix: string;
  /**
   * ensureStarted asks for eager workflow start: the client must share its NativeConnection with a worker of the
   * task queue in this process, which then gets the new workflow's first task in the start's answer, not from the
   * task queue (when the worker has no free slot, the task goes through the queue as usual).
   */
  eagerStart?: { deadlineMs: number };
};
/** What recording a customer's request came to: in the workflow's history; in the history of a new run that replaced
 * one that ended without finishing the order; or the workflow had already completed. */
export type RequestOutcome = 'recorded' | 'resumed' | 'closed';

/** What Temporal has for an order's workflow id: no run at all, a running one, or a closed one and how it closed. */
export type WorkflowPresence =
  | { state: 'none' }
  | { state: 'running' }
  | { state: 'closed'; how: 'completed' | 'failed' | 'terminated' | 'timed-out' | 'cancelled' | 'continued-as-new' };
/** One page of order workflows (their order ids), and where the next page starts, if any. */
export type OrderIdPage = { orderIds: number[]; next: Uint8Array | null };

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
      const { eagerStart } = this.settings;
      const start = () =>
        this.client.workflow.start(orderWorkflow, { ...this.startOptions(order), ...joinRunning, requestEagerStart: !!eagerStart });
      // The worker's connection retries an unreachable server by itself: the deadline keeps a start from hanging.
      await (eagerStart ? this.client.connection.withDeadline(Date.now() + eagerStart.deadlineMs, start) : start());
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
   * never lost and the caller never waits for the workflow to act on it: the database tells when it has. The caller
   * asks only for an open order: when its workflow has ended without finishing it (terminated, timed out, failed), the
   * request starts the run the reconciler would start, which resumes from the order row (workflow v6), and is recorded
   * there. 'closed': the order's workflow completed (REJECT_DUPLICATE refuses a second run), nothing was recorded.
   * Temporal unreachable, or not answering by `deadline`, is an UnavailableError.
   */
  async request(order: OrderRef, request: OrderRequest, deadline: Date): Promise<RequestOutcome> {
    // Signal-with-start joins a running workflow by definition (it takes no conflict policy).
    const options = this.startOptions(order);
    const signal = () =>
      this.client.connection.withDeadline(deadline, () =>
        this.client.workflow.signalWithStart(orderWorkflow, { ...options, signal: orderRequestSignal, signalArgs: [request] }),
      );
    try {
      try {
        await signal();
        return 'recorded';
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      if ((await this.client.connection.withDeadline(deadline, () => this.resume(order))) === 'refused') return 'closed';
      await signal();
      return 'resumed';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'closed';
      throw new UnavailableError('Order processing is temporarily unavailable; please retry');
    }
  }

  /** Whether the order's workflow exists, runs, or how its last run closed (the reconciler's probe). */
  async presence(orderId: number): Promise<WorkflowPresence> {
    try {
      const { status } = await this.client.workflow.getHandle(this.workflowId(orderId)).describe();
      if (status.name === 'RUNNING') return { state: 'running' };
      const how = {
        COMPLETED: 'completed',
        FAILED: 'failed',
        TERMINATED: 'terminated',
        TIMED_OUT: 'timed-out',
        CANCELLED: 'cancelled',
        CONTINUED_AS_NEW: 'continued-as-new',
      } as const;
      return { state: 'closed', how: how[status.name as keyof typeof how] ?? 'failed' };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { state: 'none' };
      throw err;
    }
  }

  /**
   * Starts a new run for an order whose workflow is gone or ended without finishing it (terminated, timed out,
   * failed): the same id, input and options as any start, except that a closed run that did not complete does not
   * block it. The new run resumes from the database (v6). A running workflow is joined, a completed one refuses:
   * 'refused' (the order's saga already finished in Temporal; the database disagrees and needs a person).
   */
  async resume(order: OrderRef): Promise<'started-or-running' | 'refused'> {
    try {
      await this.client.workflow.start(orderWorkflow, {
        ...this.startOptions(order),
        ...joinRunning,
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
      return 'started-or-running';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'refused';
      throw err;
    }
  }

  /**
   * Asks a running workflow whose order is already final (or deleted) in the database to end. It is the customer's
   * cancel request: the workflow runs its cancel step, which is conditional on the order still being open, so a final
   * order keeps its status and the run records it (a deleted one: Gone). No new run is started.
   */
  async askToEnd(orderId: number): Promise<'asked' | 'not-running'> {
    try {
      await this.client.workflow.getHandle(this.workflowId(orderId)).signal(orderRequestSignal, 'cancel');
      return 'asked';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'not-running';
      throw err;
    }
  }

  /**
   * One page of the order workflows running on this task queue and started before `startedBefore` (visibility
   * query), as order ids; pass `next` back for the following page. Ids of other prefixes are left out.
   */
  runningPage(startedBefore: Date, pageSize: number, next: Uint8Array | null): Promise<OrderIdPage> {
    return this.orderIdPage(`ExecutionStatus = 'Running' AND StartTime < '${startedBefore.toISOString()}'`, pageSize, next);
  }

  /**
   * One page of the order workflow runs on this task queue that closed without finishing (terminated, failed, timed
   * out, cancelled) inside the `closed` window, as order ids (an id comes once per such run).
   */
  endedUnfinishedPage(closed: { after: Date; before: Date }, pageSize: number, next: Uint8Array | null): Promise<OrderIdPage> {
    const unfinished = `(ExecutionStatus = 'Terminated' OR ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' OR ExecutionStatus = 'Canceled')`;
    const window = `CloseTime > '${closed.after.toISOString()}' AND CloseTime < '${closed.before.toISOString()}'`;
    return this.orderIdPage(`${unfinished} AND ${window}`, pageSize, next);
  }

  private async orderIdPage(condition: string, pageSize: number, next: Uint8Array | null): Promise<OrderIdPage> {
    const query = `WorkflowType = '${orderWorkflow.name}' AND TaskQueue = '${this.settings.taskQueue}' AND ${condition}`;
    const page = await this.client.workflowService.listWorkflowExecutions({
      namespace: this.client.options.namespace,
      query,
      pageSize,
      nextPageToken: next ?? undefined,
    });
    const prefix = this.settings.idPrefix;
    const orderIds = (page.executions ?? [])
      .map((e) => e.execution?.workflowId ?? '')
      .filter((id) => id.startsWith(prefix) && /^\d+$/.test(id.slice(prefix.length)))
      .map((id) => Number(id.slice(prefix.length)));
    const token = page.nextPageToken;
    return { orderIds, next: token && token.length > 0 ? token : null };
  }

  /** The workflow's part of the order's timeline (src/orders/order-timeline.ts); throws when Temporal cannot say. */
  timeline(orderId: number): Promise<TimelineEntry[]> {
    return workflowTimeline(this.client, this.workflowId(orderId));
  }
}

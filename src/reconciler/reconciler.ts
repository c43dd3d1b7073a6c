// The reconciler: every RECONCILE_INTERVAL one pass compares PostgreSQL (orders, outbox, notifications) with
// Temporal (each order's workflow) and repairs what no other role repairs (drift.ts names the kinds). A pass:
//   1. Pending orders older than the grace period whose OrderCreated left the outbox: no workflow → start it;
//   2. Processing orders (a keyset window that moves on each pass): workflow gone or ended unfinished → a new run that
//      resumes from the order row (workflow v6);
//   3. running order workflows started before the grace period (a page of the visibility list that moves on each
//      pass): order final or deleted → ask the run to end;
//   4. order workflow runs that closed unfinished (terminated, failed, timed out) since the last pass (the visibility
//      list, a window on CloseTime): order final and that run its latest → a new run that records the final status;
//   5. orders finished since the last pass (a cursor on (updated_at, id)): no notification → outcome event again;
//   6. outbox events unsent past RECONCILE_MAX_OUTBOX_AGE → reported (the relay owns them).
// Bounded: each check reads at most RECONCILE_BATCH rows through partial indexes (migration 0009), never a full scan.
// One pass at a time across processes: a pass runs only while it holds a transaction-level advisory lock, so several
// reconcilers never repair twice; a reconciler that finds the lock taken skips the pass. Every repair is idempotent
// anyway (workflow id policies, conditional steps, the notifier's unique key). In report mode nothing is changed.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.ts';
import { FINAL_STATUSES, type OrderStatus } from '../domain/order-lifecycle.ts';
import { backoffMs } from '../lib/backoff.ts';
import type { LoopState } from '../lib/loop-state.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { announceOutcomeAgain } from '../orders/order-transitions.ts';
import type { OrderRef, OrderWorkflowClient, WorkflowPresence } from '../temporal/order-workflow.client.ts';
import {
  DRIFT_KIND_NAMES,
  recordFinding,
  type DriftKind,
  type Finding,
  type FindingAction,
  type LastPass,
  type ReconcileMode,
} from './drift.ts';

/** The workflow operations a pass uses (OrderWorkflowClient; tests may hand in the real one on a test queue). */
export type ReconcilerWorkflows = Pick<
  OrderWorkflowClient,
  'presence' | 'ensureStarted' | 'resume' | 'askToEnd' | 'runningPage' | 'endedUnfinishedPage' | 'workflowId'
>;

export type ReconcilerSettings = {
  intervalMs: number;
  graceMs: number;
  batch: number;
  mode: ReconcileMode;
  maxOutboxAgeMs: number;
};

export type PassReport =
  { result: 'skipped' } | { result: 'done'; durationMs: number; findings: Array<Finding & { action: FindingAction }> };

/** Pages of finished orders one pass may read for the notification check (each RECONCILE_BATCH orders). */
const FINISHED_PAGES_PER_PASS = 20;
/** How far back the notification check starts the first time (no cursor yet). */
const FIRST_FINISHED_LOOKBACK_MS = 60 * 60_000;
/** Pages of the visibility list of runs that closed unfinished one pass may read (each RECONCILE_BATCH runs). */
const ENDED_PAGES_PER_PASS = 20;
/** How far back the ended-run check starts the first time (no cursor yet). */
const FIRST_ENDED_LOOKBACK_MS = 60 * 60_000;
/** Each window of the ended-run check starts this long before the last one ended: a run's close may reach the
 * visibility store later than the close itself (its writes are queued, and retried while its database is away). */
const VISIBILITY_LAG_MS = 5 * 60_000;
/** How a latest run that closed without finishing the order shows in `presence`. */
const UNFINISHED: ReadonlyArray<string> = ['terminated', 'failed', 'timed-out', 'cancelled'];
/** Workflow calls of one check in flight at once. */
const PARALLEL_CALLS = 8;
const LOCK_KEY = "hashtext('order-saga reconciler')";
const FAILURE_PAUSE = { startMs: 1000, maxMs: 30_000 };

type OrderRow = { id: number; user_id: number; total: string; created_at: Date; status: OrderStatus };
const refOf = (o: OrderRow): OrderRef => ({
  orderId: o.id,
  userId: o.user_id,
  total: o.total,
  createdAt: new Date(o.created_at).toISOString(),
});
const ago = (at: Date, now: number) => `${Math.round((now - new Date(at).getTime()) / 1000)} s`;

/** Runs `fn` over `items`, at most `parallel` at once. */
async function inParallel<T>(items: T[], parallel: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

export class Reconciler {
  private readonly orm: Orm;
  private readonly workflows: ReconcilerWorkflows;
  private readonly log: Logger;
  private readonly settings: ReconcilerSettings;
  private readonly metrics: Metrics['reconciler'] | undefined;
  /** Where the running-workflow check continues (a visibility page token; null: from the start). */
  private runningToken: Uint8Array | null = null;
  /** Where the ended-run check continues: its window and page token while a window takes several passes. */
  private endedScan: { window: { after: Date; before: Date }; token: Uint8Array } | null = null;

  constructor(deps: { orm: Orm; workflows: ReconcilerWorkflows; log: Logger; settings: ReconcilerSettings; metrics?: Metrics }) {
    this.orm = deps.orm;
    this.workflows = deps.workflows;
    this.log = deps.log;
    this.settings = deps.settings;
    this.metrics = deps.metrics?.reconciler;
  }

  /** One pass; 'skipped' when another reconciler holds the lock. Throws when PostgreSQL or Temporal cannot be reached. */
  async pass(): Promise<PassReport> {
    const started = Date.now();
    const lock = this.orm.em.fork();
    return lock.transactional(async (tx) => {
      const [row] = await tx.execute<{ locked: boolean }[]>(`select pg_try_advisory_xact_lock(${LOCK_KEY}) as locked`);
      if (!row?.locked) return { result: 'skipped' } as const;
      const em = this.orm.em.fork();
      const findings: Array<Finding & { action: FindingAction }> = [];
      const note = async (finding: Finding, action: FindingAction) => {
        findings.push({ ...finding, action });
        await recordFinding(em, finding, action, this.settings.mode);
        const line = { orderId: finding.orderId, kind: finding.kind, action, mode: this.settings.mode };
        this.log[action === 'failed' ? 'error' : 'warn'](line, `drift ${finding.kind}: ${finding.detail}`);
        this.metrics?.found.inc({ kind: finding.kind });
        if (action === 'repaired') this.metrics?.repaired.inc({ kind: finding.kind });
      };
      /** Repairs (in repair mode) and notes the outcome; a repair that throws is noted as failed, the pass goes on. */
      const act = async (finding: Finding, repair: (() => Promise<string>) | null) => {
        if (repair === null || this.settings.mode === 'report') return note(finding, 'reported');
        try {
          const done = await repair();
          await note({ ...finding, detail: `${finding.detail}: ${done}` }, 'repaired');
        } catch (err) {
          await note(
            { ...finding, detail: `${finding.detail}: repair failed: ${err instanceof Error ? err.message : String(err)}` },
            'failed',
          );
        }
      };
      const now = Date.now();
      await this.pendingOrders(em, now, act);
      await this.processingOrders(em, now, act);
      await this.runningWorkflows(em, now, act);
      await this.endedRuns(em, now, act);
      await this.finishedOrders(em, now, act);
      await this.unsentEvents(em, now, act);
      const durationMs = Date.now() - started;
      await this.finishPass(em, findings, durationMs);
      return { result: 'done', durationMs, findings } as const;
    });
  }

  /** 1. Pending past the grace period, its OrderCreated published, and no workflow. */
  private async pendingOrders(em: EntityManager, now: number, act: Act): Promise<void> {
    const orders = await em.execute<OrderRow[]>(
      `select o.id, o.user_id, o.total, o.created_at, o.status from orders o
        where o.status = 'Pending' and o.created_at < ?
          and not exists (select 1 from outbox x where x.order_id = o.id and x.sent_at is null)
        order by o.id limit ?`,
      [new Date(now - this.settings.graceMs), this.settings.batch],
    );
    await inParallel(orders, PARALLEL_CALLS, async (order) => {
      const presence = await this.workflows.presence(order.id);
      if (presence.state === 'running') return; // waiting for a worker: a backlog, not drift
      await this.openOrderWithout(order, presence, now, act);
    });
  }

  /** 2. Processing orders, a window of them per pass, whose workflow is not running. */
  private async processingOrders(em: EntityManager, now: number, act: Act): Promise<void> {
    const after = (await readCursor<{ afterId: number }>(em, 'processing'))?.afterId ?? 0;
    const orders = await em.execute<OrderRow[]>(
      `select id, user_id, total, created_at, status from orders
        where status = 'Processing' and updated_at < ? and id > ? order by id limit ?`,
      [new Date(now - this.settings.graceMs), after, this.settings.batch],
    );
    await inParallel(orders, PARALLEL_CALLS, async (order) => {
      const presence = await this.workflows.presence(order.id);
      if (presence.state !== 'running') await this.openOrderWithout(order, presence, now, act);
    });
    // A short window means the end was reached: the next pass starts from the first Processing order again.
    await writeCursor(em, 'processing', { afterId: orders.length < this.settings.batch ? 0 : orders.at(-1)!.id });
  }

  /** An open order whose workflow is not running: start one, resume one, or (it completed) report. */
  private async openOrderWithout(order: OrderRow, presence: Exclude<WorkflowPresence, { state: 'running' }>, now: number, act: Act) {
    const id = this.workflows.workflowId(order.id);
    if (presence.state === 'closed' && (presence.how === 'completed' || presence.how === 'continued-as-new')) {
      const detail = `order is ${order.status} but workflow ${id} ${presence.how}; a person must decide`;
      return act({ kind: 'workflow_closed_order_open', orderId: order.id, detail }, null);
    }
    if (order.status === 'Pending' && presence.state === 'none') {
      const detail = `order Pending for ${ago(order.created_at, now)}, its OrderCreated published, but no workflow ${id}`;
      return act({ kind: 'workflow_missing', orderId: order.id, detail }, async () => {
        const outcome = await this.workflows.ensureStarted(refOf(order));
        if (outcome !== 'started-or-running') throw new Error(`the start answered ${outcome}`);
        return 'started its workflow';
      });
    }
    const why = presence.state === 'none' ? 'has no workflow' : `has a workflow that ${presence.how}`;
    const detail = `order is ${order.status} but ${why} (${id})`;
    return act({ kind: 'workflow_ended', orderId: order.id, detail }, async () => {
      if ((await this.workflows.resume(refOf(order))) === 'refused') throw new Error('Temporal refused a new run');
      return 'started a new run that resumes from the order row';
    });
  }

  /** 3. Running workflows (a page per pass) whose order is final or gone. */
  private async runningWorkflows(em: EntityManager, now: number, act: Act): Promise<void> {
    const page = await this.workflows.runningPage(new Date(now - this.settings.graceMs), this.settings.batch, this.runningToken);
    this.runningToken = page.next;
    if (page.orderIds.length === 0) return;
    const rows = await em.execute<{ id: number; status: OrderStatus; updated_at: Date }[]>(
      'select id, status, updated_at from orders where id in (?)',
      [page.orderIds],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const graceStart = now - this.settings.graceMs;
    const orphans = page.orderIds.filter((orderId) => {
      const row = byId.get(orderId);
      return !row || (FINAL_STATUSES.includes(row.status) && new Date(row.updated_at).getTime() < graceStart);
    });
    await inParallel(orphans, PARALLEL_CALLS, async (orderId) => {
      const row = byId.get(orderId);
      const what = row ? `order is ${row.status} since ${ago(row.updated_at, now)}` : 'order no longer exists';
      const detail = `${what} but workflow ${this.workflows.workflowId(orderId)} is still running`;
      await act({ kind: 'workflow_orphaned', orderId, detail }, async () => {
        const asked = await this.workflows.askToEnd(orderId);
        return asked === 'asked' ? 'asked it to end (cancel request)' : 'it had ended meanwhile';
      });
    });
  }

  /**
   * 4. Final orders whose latest run closed without finishing (e.g. terminated after its step had finished the order,
   * before its completion reached Temporal): the run's OrderStatus is stale. Open orders are checks 1 and 2's.
   */
  private async endedRuns(em: EntityManager, now: number, act: Act): Promise<void> {
    let window: { after: Date; before: Date };
    let token: Uint8Array | null = null;
    if (this.endedScan) ({ window, token } = this.endedScan);
    else {
      const cursor = await readCursor<{ closedBefore: string }>(em, 'ended');
      const after = cursor ? Date.parse(cursor.closedBefore) - VISIBILITY_LAG_MS : now - FIRST_ENDED_LOOKBACK_MS;
      window = { after: new Date(after), before: new Date(now - this.settings.graceMs) };
    }
    const orderIds = new Set<number>();
    for (let page = 0; page < ENDED_PAGES_PER_PASS; page++) {
      const found = await this.workflows.endedUnfinishedPage(window, this.settings.batch, token);
      for (const id of found.orderIds) orderIds.add(id);
      token = found.next;
      if (token === null) break;
    }
    this.endedScan = token === null ? null : { window, token };
    if (token === null) await writeCursor(em, 'ended', { closedBefore: window.before.toISOString() });
    if (orderIds.size === 0) return;
    const finals = await em.execute<OrderRow[]>(
      `select id, user_id, total, created_at, status from orders where id in (?) and status in (?)`,
      [[...orderIds], [...FINAL_STATUSES]],
    );
    await inParallel(finals, PARALLEL_CALLS, async (order) => {
      const presence = await this.workflows.presence(order.id);
      if (presence.state !== 'closed' || !UNFINISHED.includes(presence.how)) return; // a later run already took over
      const detail = `order is ${order.status} but the latest run of ${this.workflows.workflowId(order.id)} ${presence.how}`;
      await act({ kind: 'workflow_ended_final', orderId: order.id, detail }, async () => {
        if ((await this.workflows.resume(refOf(order))) === 'refused') throw new Error('Temporal refused a new run');
        return `started a new run, which finds the order ${order.status} and records it`;
      });
    });
  }

  /** 5. Orders finished since the last pass, past the grace period, without the notification of their status. */
  private async finishedOrders(em: EntityManager, now: number, act: Act): Promise<void> {
    const until = new Date(now - this.settings.graceMs);
    let cursor = (await readCursor<{ at: string; id: number }>(em, 'finished')) ?? {
      at: new Date(now - FIRST_FINISHED_LOOKBACK_MS).toISOString(),
      id: 0,
    };
    for (let page = 0; page < FINISHED_PAGES_PER_PASS; page++) {
      // The cursor keeps the timestamp as PostgreSQL's text (microseconds): a Date would round it to milliseconds and
      // the last order of a page would come back on the next.
      // The window first, then one index probe per order of it: as an EXISTS over the whole statement the planner may
      // hash all notifications instead (a scan of the table per window).
      const orders = await em.execute<{ id: number; status: OrderStatus; updated_at: Date; position: string; notified: boolean }[]>(
        `select f.id, f.status, f.updated_at, f.position, n.found is not null as notified
           from (select o.id, o.status, o.updated_at, o.updated_at::text as position from orders o
                  where o.status in ('Completed', 'Cancelled', 'Expired') and (o.updated_at, o.id) > (?::timestamptz, ?) and o.updated_at < ?
                  order by o.updated_at, o.id limit ?) f
           left join lateral (select 1 as found from notifications x where x.order_id = f.id and x.event_type = 'Order' || f.status limit 1) n
             on true
          order by f.updated_at, f.id`,
        [cursor.at, cursor.id, until, this.settings.batch],
      );
      for (const order of orders.filter((o) => !o.notified)) {
        const detail = `order ${order.status} since ${ago(order.updated_at, now)} without its notification`;
        await act({ kind: 'notification_missing', orderId: order.id, detail }, async () => {
          const event = await this.orm.em.fork().transactional((tx) => announceOutcomeAgain(tx, order.id));
          if (!event) throw new Error('the order is no longer final');
          return `${event} written to the outbox again`;
        });
      }
      if (orders.length === 0) break;
      const last = orders.at(-1)!;
      cursor = { at: last.position, id: last.id };
      await writeCursor(em, 'finished', cursor);
      if (orders.length < this.settings.batch) break;
    }
  }

  /** 6. Outbox events the relay has not sent for too long: reported, never touched. */
  private async unsentEvents(em: EntityManager, now: number, act: Act): Promise<void> {
    const rows = await em.execute<{ order_id: number | null; topic: string; created_at: Date }[]>(
      `select order_id, topic, created_at from outbox where sent_at is null and created_at < ? order by id limit ?`,
      [new Date(now - this.settings.maxOutboxAgeMs), Math.min(this.settings.batch, 20)],
    );
    for (const row of rows) {
      const detail = `an event for ${row.topic} unsent for ${ago(row.created_at, now)}: is the relay running, is Kafka up?`;
      await act({ kind: 'outbox_unsent', orderId: row.order_id, detail }, null);
    }
  }

  /** Updates the open-drift gauge and stores what this pass saw for the API. */
  private async finishPass(em: EntityManager, findings: Array<Finding & { action: FindingAction }>, durationMs: number): Promise<void> {
    const open: Partial<Record<DriftKind, number>> = {};
    for (const kind of DRIFT_KIND_NAMES) {
      const count = findings.filter((f) => f.kind === kind && f.action !== 'repaired').length;
      this.metrics?.open.set({ kind }, count);
      if (count > 0) open[kind] = count;
    }
    this.metrics?.passes.inc({ result: 'done' });
    this.metrics?.passDuration.observe(durationMs / 1000);
    const last: LastPass = { at: new Date().toISOString(), mode: this.settings.mode, durationMs, open };
    await writeCursor(em, 'last-pass', last);
  }

  /** Passes every interval until stopped; a failed pass is logged and retried with backoff. */
  start(): RunningReconciler {
    let stopped = false;
    let wake: (() => void) | undefined;
    let lastOk = Date.now();
    let lastError: string | undefined;
    let failures = 0;
    const loop = async () => {
      while (!stopped) {
        try {
          const report = await this.pass();
          if (report.result === 'skipped') this.metrics?.passes.inc({ result: 'skipped' });
          if (failures > 0) this.log.info('reconciler passes work again');
          failures = 0;
          lastError = undefined;
          lastOk = Date.now();
        } catch (err) {
          failures++;
          lastError = err instanceof Error ? err.message : String(err);
          this.metrics?.passes.inc({ result: 'failed' });
          if (failures === 1) this.log.error({ err }, 'reconciler pass failed; nothing repaired, retrying');
        }
        const pause = failures > 0 ? backoffMs(FAILURE_PAUSE, failures) : this.settings.intervalMs;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, pause).unref();
        });
      }
    };
    const running = loop();
    return {
      stop: async () => {
        stopped = true;
        wake?.();
        await running;
      },
      loopState: (maxAgeMs) => {
        if (lastError !== undefined) return { ok: false, error: `reconciler pass failing: ${lastError}` };
        const age = Date.now() - lastOk;
        if (age > maxAgeMs + this.settings.intervalMs) return { ok: false, error: `no reconciler pass for ${Math.round(age / 1000)} s` };
        return { ok: true };
      },
    };
  }
}

type Act = (finding: Finding, repair: (() => Promise<string>) | null) => Promise<void>;

export type RunningReconciler = { stop: () => Promise<void>; loopState: (maxAgeMs: number) => LoopState };

async function readCursor<T>(em: EntityManager, name: string): Promise<T | undefined> {
  const [row] = await em.execute<{ position: T }[]>('select position from reconciler_cursors where name = ?', [name]);
  return row?.position;
}

async function writeCursor(em: EntityManager, name: string, position: unknown): Promise<void> {
  await em.execute(
    `insert into reconciler_cursors (name, position) values (?, ?::jsonb)
     on conflict (name) do update set position = excluded.position, updated_at = now()`,
    [name, JSON.stringify(position)],
  );
}

/** What the last pass stored (for GET /api/admin/drift), or null before the first. */
export function lastPassOf(em: EntityManager): Promise<LastPass | null> {
  return readCursor<LastPass>(em, 'last-pass').then((p) => p ?? null);
}

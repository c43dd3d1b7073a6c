// Drift: a disagreement between PostgreSQL and Temporal (or between an order and its notification) that no role
// repairs by itself, older than RECONCILE_GRACE. Each kind names what is wrong and what the reconciler does about it;
// what it found and did is written to drift_findings, which the order's timeline, GET /api/admin/drift and the
// operator console read. A drift reported pass after pass (report mode, report-only kinds, a repair that keeps
// failing) stays one row whose last_seen_at moves on; each repair is a row of its own.
import type { EntityManager } from '@mikro-orm/postgresql';
import { isoTimestamp } from '../db/sql.ts';

export const DRIFT_KINDS = {
  workflow_missing: {
    meaning: 'a Pending order whose OrderCreated was published has no workflow (dead-lettered, or its start was lost)',
    repair: 'start its workflow with the same id and options as the bridge',
  },
  workflow_ended: {
    meaning: 'an open order whose workflow ended without finishing it (terminated, timed out, failed) or is gone',
    repair: 'start a new run, which resumes from the order row: charging again, or waiting until its paymentDueAt',
  },
  workflow_orphaned: {
    meaning: 'a workflow still running for an order that is final or deleted in the database',
    repair: 'send it the cancel request: its conditional cancel step finds the final status and the run ends with it',
  },
  workflow_ended_final: {
    meaning:
      "a final order whose workflow's latest run was terminated, failed or timed out after the order was finished: Temporal still shows the status that run had",
    repair: 'start a new run: its first step finds the order final and records that status (workflow v5), then the run completes',
  },
  notification_missing: {
    meaning: 'a finished order without the notification of its outcome',
    repair: 'write its outcome event to the outbox again (the notifier is idempotent)',
  },
  workflow_closed_order_open: {
    meaning: "an open order whose workflow completed (e.g. the database restored from a backup older than the run's end)",
    repair: null,
  },
  outbox_unsent: {
    meaning: 'an outbox event unsent for longer than RECONCILE_MAX_OUTBOX_AGE (the relay owns it: is it running? is Kafka up?)',
    repair: null,
  },
} as const satisfies Record<string, { meaning: string; repair: string | null }>;

export type DriftKind = keyof typeof DRIFT_KINDS;
export const DRIFT_KIND_NAMES = Object.keys(DRIFT_KINDS) as DriftKind[];

export type Finding = { kind: DriftKind; orderId: number | null; detail: string };
export type FindingAction = 'repaired' | 'reported' | 'failed';
export type ReconcileMode = 'repair' | 'report';

/** Writes what a pass found and did. */
export async function recordFinding(em: EntityManager, finding: Finding, action: FindingAction, mode: ReconcileMode): Promise<void> {
  const values = [finding.kind, finding.orderId, action, mode, finding.detail.slice(0, 2000)];
  if (action === 'repaired') {
    await em.execute('insert into drift_findings (kind, order_id, action, mode, detail) values (?, ?, ?, ?, ?)', values);
    return;
  }
  await em.execute(
    `insert into drift_findings (kind, order_id, action, mode, detail) values (?, ?, ?, ?, ?)
     on conflict (kind, coalesce(order_id, 0), action) where action in ('reported', 'failed')
     do update set last_seen_at = now(), times_seen = drift_findings.times_seen + 1, detail = excluded.detail, mode = excluded.mode`,
    values,
  );
}

export type FindingRow = {
  id: number;
  orderId: number | null;
  kind: DriftKind;
  action: FindingAction;
  mode: ReconcileMode;
  detail: string;
  foundAt: string;
  lastSeenAt: string;
  timesSeen: number;
};

const FINDING_COLUMNS = `id::int as id, order_id as "orderId", kind, action, mode, detail, ${isoTimestamp('found_at')} as "foundAt",
  ${isoTimestamp('last_seen_at')} as "lastSeenAt", times_seen as "timesSeen"`;

/** The newest findings first (keyset on id), optionally of one order or kind. */
export function listFindings(
  em: EntityManager,
  { limit, before, orderId, kind }: { limit: number; before?: number; orderId?: number; kind?: DriftKind },
): Promise<FindingRow[]> {
  const filters: Array<[string, unknown]> = [];
  if (before !== undefined) filters.push(['id < ?', before]);
  if (orderId !== undefined) filters.push(['order_id = ?', orderId]);
  if (kind !== undefined) filters.push(['kind = ?', kind]);
  const where = filters.map(([condition]) => condition);
  const params = filters.map(([, value]) => value);
  return em.execute<FindingRow[]>(
    `select ${FINDING_COLUMNS} from drift_findings ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit ?`,
    [...params, limit],
  );
}

/** What the last completed pass saw, as the reconciler stores it for the API (another process). */
export type LastPass = { at: string; mode: ReconcileMode; durationMs: number; open: Partial<Record<DriftKind, number>> };

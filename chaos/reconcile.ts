// After the load and the faults: wait (with a deadline) until the saga settles, then hold the database, Temporal,
// the notifications, the stock, the outbox, the dead-letter topics and the client's ledger against each other.
import { Client, Connection } from '@temporalio/client';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { searchAttributes, orderWorkflowId } from '../workflows/order.definitions.ts';
import type { OrderRecord } from './load.ts';
import { say, sleep } from './util.ts';

const FINAL = ['Completed', 'Cancelled', 'Expired'];
const EVENT_OF: Record<string, string> = { Completed: 'OrderCompleted', Cancelled: 'OrderCancelled', Expired: 'OrderExpired' };

/** `kafkaBroker`: one broker, or several comma-separated (--cluster). */
export type Endpoints = { databaseUrl: string; temporalAddress: string; kafkaBroker: string; workflowIdPrefix: string };

type DbOrder = { id: number; status: string };
type Workflow = { id: string; status: string; orderStatus?: string; startedAt: number; earlierRuns: number };
type DeadLetter = { topic: string; key: string; reason: string };

export type Reconciliation = {
  accepted: number;
  byStatus: Record<string, number>;
  deleted: number;
  temporalByStatus: Record<string, number>;
  settledInS: number | undefined;
  checks: Record<string, { count: number; examples: string[] }>;
  info: Record<string, number | string>;
};

/** The latest run of each workflow id (a terminated run the reconciler replaced counts as an earlier run). */
async function workflows(client: Client): Promise<Workflow[]> {
  const latest = new Map<string, Workflow>();
  for await (const wf of client.workflow.list()) {
    const run: Workflow = {
      id: wf.workflowId,
      status: wf.status.name,
      orderStatus: wf.typedSearchAttributes.get(searchAttributes.orderStatus),
      startedAt: wf.startTime.getTime(),
      earlierRuns: 0,
    };
    const seen = latest.get(run.id);
    if (!seen) latest.set(run.id, run);
    else if (seen.startedAt < run.startedAt) latest.set(run.id, { ...run, earlierRuns: seen.earlierRuns + 1 });
    else seen.earlierRuns++;
  }
  return [...latest.values()];
}

async function deadLetters(broker: string): Promise<DeadLetter[]> {
  const kafka = new Kafka({ clientId: 'order-saga-chaos', brokers: broker.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.endsWith('.dlq'));
    let expected = 0;
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) expected += Number(p.high) - Number(p.low);
    if (expected === 0) return [];
    const consumer = kafka.consumer({ groupId: `chaos-dlq-reader-${Date.now()}` });
    const letters: DeadLetter[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        letters.push({ topic, key: message.key?.toString() ?? '', reason: message.headers?.['dlq-reason']?.toString() ?? '' });
      },
    });
    const deadline = Date.now() + 30_000;
    while (letters.length < expected && Date.now() < deadline) await sleep(200);
    await consumer.disconnect();
    return letters;
  } finally {
    await admin.disconnect();
  }
}

export class Reconciler {
  private readonly db: pg.Pool;
  private readonly endpoints: Endpoints;
  private temporal?: Client;
  private readonly userIds: number[];

  constructor(endpoints: Endpoints, userIds: number[]) {
    this.endpoints = endpoints;
    this.db = new pg.Pool({ connectionString: endpoints.databaseUrl, max: 2 });
    this.userIds = userIds;
  }

  private async client(): Promise<Client> {
    this.temporal ??= new Client({ connection: await Connection.connect({ address: this.endpoints.temporalAddress }) });
    return this.temporal;
  }

  private async orders(): Promise<DbOrder[]> {
    const { rows } = await this.db.query<DbOrder>('select id, status from orders where user_id = any($1::int[]) order by id', [
      this.userIds,
    ]);
    return rows;
  }

  /** What is still moving: open orders, unsent outbox rows, running workflows, final orders without notification. */
  private async motion() {
    const [open, outbox, notified] = await Promise.all([
      this.db.query<{ n: number }>(
        `select count(*)::int as n from orders where user_id = any($1::int[]) and status not in ('Completed', 'Cancelled', 'Expired')`,
        [this.userIds],
      ),
      this.db.query<{ n: number }>('select count(*)::int as n from outbox where sent_at is null'),
      this.db.query<{ n: number }>(
        `select count(*)::int as n from orders o where user_id = any($1::int[]) and status in ('Completed', 'Cancelled', 'Expired')
           and not exists (select 1 from notifications n where n.order_id = o.id)`,
        [this.userIds],
      ),
    ]);
    const running = Number((await (await this.client()).workflow.count('ExecutionStatus="Running"')).count);
    return { open: open.rows[0]!.n, unsentOutbox: outbox.rows[0]!.n, runningWorkflows: running, unnotified: notified.rows[0]!.n };
  }

  /** Polls until nothing moves any more or the deadline passes; the seconds it took, or undefined. */
  async settle(timeoutMs: number): Promise<number | undefined> {
    const start = Date.now();
    let lastReport = 0;
    for (;;) {
      let state: Awaited<ReturnType<Reconciler['motion']>> | string;
      try {
        state = await this.motion();
        if (Object.values(state).every((v) => v === 0)) return (Date.now() - start) / 1000;
      } catch (err) {
        state = String(err);
      }
      if (Date.now() - start >= timeoutMs) {
        say(`not settled after ${timeoutMs / 1000} s: ${JSON.stringify(state)}`);
        return undefined;
      }
      if (Date.now() - lastReport >= 10_000) {
        say(`settling: ${JSON.stringify(state)}`);
        lastReport = Date.now();
      }
      await sleep(1000);
    }
  }

  /** The histories of the workflows an anomaly names, kept with the results (the run's Temporal is torn down). */
  private async keepHistories(ids: string[], dir: string): Promise<void> {
    if (ids.length === 0) return;
    mkdirSync(dir, { recursive: true });
    const client = await this.client();
    for (const id of ids.slice(0, 20)) {
      try {
        const history = await client.workflow.getHandle(id).fetchHistory();
        writeFileSync(path.join(dir, `${id}.json`), JSON.stringify(history, null, 2));
      } catch (err) {
        writeFileSync(path.join(dir, `${id}.error.txt`), String(err));
      }
    }
  }

  async reconcile(
    ledger: OrderRecord[],
    initialStock: Map<number, number>,
    settledInS: number | undefined,
    historiesDir: string,
  ): Promise<Reconciliation> {
    const suspects: string[] = [];
    const checks: Reconciliation['checks'] = {};
    const fail = (check: string, example?: string) => {
      checks[check] ??= { count: 0, examples: [] };
      if (example === undefined) return;
      checks[check].count++;
      if (checks[check].examples.length < 10) checks[check].examples.push(example);
    };
    const checkNames = [
      'orders stuck (not final)',
      'accepted orders missing (not deleted by the client)',
      'orders nobody was told about (no 201 answer)',
      '2xx answers not reflected',
      'workflows missing, running or disagreeing with the database',
      'workflows without an order',
      'missing notifications',
      'duplicate or wrong notifications',
      'stock mismatches',
      'outbox rows unsent',
      'unexplained DLQ messages',
    ];
    for (const name of checkNames) fail(name);

    const orders = await this.orders();
    const byId = new Map(orders.map((o) => [o.id, o]));
    const accepted = ledger.filter((r) => r.id !== undefined);
    const ledgerIds = new Set(accepted.map((r) => r.id!));
    const deletedByClient = new Set(
      accepted
        .filter((r) => r.action === 'delete' && (r.actionAnswer?.status === 200 || (r.actionAnswer?.status === 404 && r.actionAnswerLost)))
        .map((r) => r.id!),
    );

    for (const o of orders) if (!FINAL.includes(o.status)) fail('orders stuck (not final)', `order ${o.id} ${o.status}`);
    for (const r of accepted) {
      if (!byId.has(r.id!) && !deletedByClient.has(r.id!))
        fail('accepted orders missing (not deleted by the client)', `order ${r.id} (${r.key})`);
    }
    for (const o of orders) if (!ledgerIds.has(o.id)) fail('orders nobody was told about (no 201 answer)', `order ${o.id} ${o.status}`);

    // The client's view: what a 200 promised must hold.
    const promised: Record<string, string> = { pay: 'Completed', cancel: 'Cancelled' };
    const info: Reconciliation['info'] = {};
    for (const r of accepted) {
      if (!r.action || !r.actionAnswer) continue;
      const now = byId.get(r.id!)?.status ?? 'deleted';
      const answered = r.actionAnswer.status;
      info[`${r.action} ${answered} → ${now}`] = ((info[`${r.action} ${answered} → ${now}`] as number | undefined) ?? 0) + 1;
      if (answered === 200 && r.action !== 'delete' && now !== promised[r.action])
        fail('2xx answers not reflected', `${r.action} of order ${r.id} answered 200 but it is ${now}`);
      if (answered === 200 && r.action === 'delete' && byId.has(r.id!))
        fail('2xx answers not reflected', `order ${r.id} deleted (200) but still ${now}`);
    }
    for (const r of ledger)
      if (r.error)
        info[`requests without an answer: ${r.error.split(':')[0]}`] =
          ((info[`requests without an answer: ${r.error.split(':')[0]}`] as number | undefined) ?? 0) + 1;

    // Temporal: one closed workflow per order whose OrderStatus search attribute is the order's status.
    const all = await workflows(await this.client());
    const wfById = new Map(all.map((w) => [w.id, w]));
    const temporalByStatus: Record<string, number> = {};
    for (const w of all) temporalByStatus[w.orderStatus ?? 'unset'] = (temporalByStatus[w.orderStatus ?? 'unset'] ?? 0) + 1;
    const rerun = all.filter((w) => w.earlierRuns > 0);
    if (rerun.length > 0) info['workflows with a later run (the reconciler replaced a terminated one)'] = rerun.map((w) => w.id).join(', ');
    for (const o of orders) {
      const w = wfById.get(orderWorkflowId(this.endpoints.workflowIdPrefix, o.id));
      if (!w) fail('workflows missing, running or disagreeing with the database', `order ${o.id} ${o.status}: no workflow`);
      else if (w.status === 'RUNNING' || w.orderStatus !== o.status) suspects.push(w.id);
      if (w && (w.status === 'RUNNING' || w.orderStatus !== o.status))
        fail(
          'workflows missing, running or disagreeing with the database',
          `order ${o.id} ${o.status}: workflow ${w.status} OrderStatus=${w.orderStatus}`,
        );
    }
    const knownIds = new Set([...orders.map((o) => o.id), ...deletedByClient]);
    for (const w of all) {
      const id = Number(w.id.slice(this.endpoints.workflowIdPrefix.length));
      if (!knownIds.has(id)) fail('workflows without an order', `${w.id} ${w.status} OrderStatus=${w.orderStatus}`);
      else if (deletedByClient.has(id) && w.status === 'RUNNING')
        fail('workflows missing, running or disagreeing with the database', `${w.id} of a deleted order still running`);
    }

    // Exactly one notification per final order, of the order's outcome.
    const { rows: notes } = await this.db.query<{ order_id: number; event_type: string }>(
      'select order_id, event_type from notifications where user_id = any($1::int[])',
      [this.userIds],
    );
    const notesOf = new Map<number, string[]>();
    for (const n of notes) notesOf.set(n.order_id, [...(notesOf.get(n.order_id) ?? []), n.event_type]);
    for (const o of orders) {
      if (!FINAL.includes(o.status)) continue;
      const got = notesOf.get(o.id) ?? [];
      if (!got.includes(EVENT_OF[o.status]!)) fail('missing notifications', `order ${o.id} ${o.status}: ${got.join(', ') || 'none'}`);
      if (got.length > 1 || got.some((t) => t !== EVENT_OF[o.status]))
        fail('duplicate or wrong notifications', `order ${o.id} ${o.status}: ${got.join(', ')}`);
    }

    // Stock: what was put in, minus what open and completed orders hold (cancelled, expired, deleted gave it back).
    const { rows: held } = await this.db.query<{ product_id: number; held: number }>(
      `select oi.product_id, sum(oi.quantity)::int as held from order_items oi join orders o on o.id = oi.order_id
        where o.status in ('Pending', 'Processing', 'Completed') group by oi.product_id`,
    );
    const heldOf = new Map(held.map((h) => [h.product_id, h.held]));
    const { rows: stock } = await this.db.query<{ id: number; stock: number }>('select id, stock from products where id = any($1::int[])', [
      [...initialStock.keys()],
    ]);
    for (const p of stock) {
      const expected = initialStock.get(p.id)! - (heldOf.get(p.id) ?? 0);
      if (p.stock !== expected) fail('stock mismatches', `product ${p.id}: stock ${p.stock}, expected ${expected}`);
    }

    const { rows: unsent } = await this.db.query<{ id: string; topic: string; attempts: number }>(
      'select id, topic, attempts from outbox where sent_at is null order by id',
    );
    for (const u of unsent) fail('outbox rows unsent', `outbox ${u.id} ${u.topic} (${u.attempts} attempts)`);

    // A dead letter is explained when the notifier could not write an outcome of an order the client deleted.
    const letters = await deadLetters(this.endpoints.kafkaBroker);
    info['DLQ messages'] = letters.length;
    for (const l of letters) {
      const explained = /unknown_order_or_user|does not exist/.test(l.reason) && deletedByClient.has(Number(l.key));
      if (explained)
        info['DLQ explained: outcome of a deleted order'] =
          ((info['DLQ explained: outcome of a deleted order'] as number | undefined) ?? 0) + 1;
      else fail('unexplained DLQ messages', `${l.topic} key ${l.key}: ${l.reason.slice(0, 200)}`);
    }

    for (const o of orders) if (!FINAL.includes(o.status)) suspects.push(orderWorkflowId(this.endpoints.workflowIdPrefix, o.id));
    await this.keepHistories([...new Set(suspects)], historiesDir);

    const byStatus: Record<string, number> = {};
    for (const o of orders) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    return { accepted: accepted.length, byStatus, deleted: deletedByClient.size, temporalByStatus, settledInS, checks, info };
  }

  async close(): Promise<void> {
    await this.db.end().catch(() => undefined);
    await this.temporal?.connection.close().catch(() => undefined);
  }
}

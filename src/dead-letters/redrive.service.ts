// Redrive: sends stored dead letters back to their source topics, for the API (POST /api/admin/dead-letters/redrive)
// and `npm run ops -- dlq redrive` alike. Only entries still 'dead' go, at most MAX_REDRIVE per run (`more` says
// whether others matched). A real run locks its entries, publishes them (idempotent producer, acks from all replicas),
// then marks them redriven and writes the audit row in the same transaction: a failed publish changes nothing, and a
// second redrive of the same filter finds nothing left to send. The consumers are idempotent, so a message that went
// out before a crash of this transaction and goes out again does no harm.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Producer } from '../messaging/kafka.ts';
import { describeFilter, MAX_REDRIVE, type DeadLetterFilter } from './dead-letter-filter.ts';
import { redriveMessageOf } from './dead-letter-messages.ts';
import { auditRedrive, markRedriven, redrivable } from './dead-letter.store.ts';

export type RedriveMessage = ReturnType<typeof redriveMessageOf>;
/** Sends messages and resolves once every in-sync replica has them. */
export type Publish = (messages: RedriveMessage[]) => Promise<void>;
export type RedriveResult = { dryRun: boolean; count: number; ids: number[]; more: boolean };

export type RedriveDeps = {
  em: EntityManager;
  /** Absent where no Kafka is configured (some test apps): only dry runs work then. */
  publish: Publish | undefined;
  log: Logger;
  metrics?: Metrics;
};

/** A real redrive that could not publish: no producer in this process, or Kafka did not take the messages. */
export class RedriveUnavailableError extends Error {}

export async function redriveDeadLetters(
  { em, publish, log, metrics }: RedriveDeps,
  filter: DeadLetterFilter,
  { dryRun, actor, limit = MAX_REDRIVE }: { dryRun: boolean; actor: string; limit?: number },
): Promise<RedriveResult> {
  if (dryRun) {
    const entries = await redrivable(em, filter, limit + 1, false);
    const ids = entries.slice(0, limit).map((e) => e.id);
    return { dryRun, count: ids.length, ids, more: entries.length > limit };
  }
  if (!publish) throw new RedriveUnavailableError('Redrive needs Kafka, which this process has no producer for');
  const { result, topics } = await em.fork().transactional(async (tx) => {
    const entries = await redrivable(tx, filter, limit + 1, true);
    const sent = entries.slice(0, limit);
    const at = new Date();
    const ids = sent.map((e) => e.id);
    const messages = sent.map((e) => redriveMessageOf(e, at));
    // Nothing to send changes nothing, not even the audit: a repeated redrive leaves no trace but its log line.
    if (messages.length > 0) {
      await publish(messages).catch((err: unknown) => {
        log.error({ err: String(err), count: messages.length }, 'redrive: Kafka did not take the messages; nothing was redriven');
        throw new RedriveUnavailableError('Kafka did not take the messages; nothing was redriven, please retry');
      });
      await markRedriven(tx, ids, at);
      await auditRedrive(tx, { actor, at, filter: describeFilter(filter), ids });
    }
    return { result: { dryRun, count: ids.length, ids, more: entries.length > limit }, topics: messages.map((m) => m.topic) };
  });
  for (const topic of topics) metrics?.deadLetters.redriven.inc({ topic });
  log.info({ actor, filter: describeFilter(filter), count: result.count, more: result.more }, `redrove ${result.count} dead letters`);
  return result;
}

/**
 * Publishes through a producer made on first use (the API needs one only when somebody redrives). A failed connect
 * is forgotten, so the next redrive tries again.
 */
export function lazyPublisher(producer: () => Promise<Producer>): Publish {
  return async (messages) => {
    const byTopic = new Map<string, RedriveMessage[]>();
    for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    const topicMessages = [...byTopic].map(([topic, list]) => ({
      topic,
      messages: list.map(({ key, value, headers }) => ({ key, value, headers })),
    }));
    await (await producer()).sendBatch({ topicMessages, acks: -1 });
  };
}

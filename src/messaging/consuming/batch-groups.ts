// Offset bookkeeping for a partition whose messages may be handled several at once (the bridge: each message starts
// its own order's workflow, idempotently). A fetched batch is cut into groups of `size` in offset order; a group's
// messages run together, and the offset moves past the group only when all of them are done. So a message being
// retried holds back its partition as it would one at a time, and nothing after it is ever skipped.
import type { EachBatchPayload, EachMessagePayload } from '../kafka.ts';

/**
 * An eachBatch handler (run with eachBatchAutoResolve: false) that hands each message to `eachMessage`, `size` at a
 * time. Stopping or a rebalance ends the batch after the current group; the rest is fetched again by whoever owns
 * the partition then.
 */
export function inGroups(size: number, eachMessage: (payload: EachMessagePayload) => Promise<void>) {
  const n = Math.max(1, size);
  return async (payload: EachBatchPayload): Promise<void> => {
    const { batch } = payload;
    const { topic, partition } = batch;
    const heartbeat = () => payload.heartbeat();
    const pause = () => payload.pause();
    for (let i = 0; i < batch.messages.length; i += n) {
      if (!payload.isRunning() || payload.isStale()) return;
      const group = batch.messages.slice(i, i + n);
      await Promise.all(group.map((message) => eachMessage({ topic, partition, message, heartbeat, pause })));
      payload.resolveOffset(group[group.length - 1]!.offset);
      await payload.heartbeat();
    }
  };
}

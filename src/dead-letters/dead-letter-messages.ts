// The two translations of the dead-letter store, pure: a message read from a `.dlq` topic → the row the recorder
// stores, and a stored row → the message a redrive sends back to its source topic. Headers are text; the dlq-*
// headers describe a failure, so a redriven message loses them and carries only `dlq-redrive-of` (which stored dead
// letter it is) and `dlq-redriven-at`; when it fails again, the consumer keeps `dlq-redrive-of` on the new dead letter.
import { DLQ_HEADERS } from '../messaging/consuming/dead-letters.ts';
import { orderIdOf } from '../messaging/consuming/parse-event.ts';
import type { IHeaders } from '../messaging/kafka.ts';

/** A dead letter as read from its topic. */
export type DlqMessage = {
  topic: string;
  partition: number;
  message: { key: Buffer | null; value: Buffer | null; offset: string; timestamp?: string; headers?: IHeaders };
};

/** What the recorder writes for one dead letter. */
export type DeadLetterRecord = {
  /** The app's event topic, without the environment's prefix (what operators filter by). */
  topic: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
  orderId: number | null;
  reason: string;
  reasonCode: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  failedAt: Date;
  /** The stored dead letter this message was a redrive of, when it was one. */
  redriveOf: number | null;
};

/** Header values as text (kafkajs hands over Buffers; a repeated header keeps its last value). */
export function textHeaders(headers: IHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) text[name] = last.toString();
  }
  return text;
}

const positiveInt = (text: string | undefined): number | null => (text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : null);

/**
 * The row of a dead letter read from `dlqTopic`. Dead letters written before the reason-code and failed-at headers
 * existed get `permanent_error` and the message's own timestamp.
 */
export function recordOf({ topic: dlqTopic, partition, message }: DlqMessage, topicPrefix: string): DeadLetterRecord {
  const headers = textHeaders(message.headers);
  const sourceTopic = headers[DLQ_HEADERS.topic] ?? dlqTopic.replace(/\.dlq$/, '');
  const failedAt = new Date(headers[DLQ_HEADERS.failedAt] ?? Number(message.timestamp ?? Date.now()));
  return {
    topic: sourceTopic.startsWith(topicPrefix) ? sourceTopic.slice(topicPrefix.length) : sourceTopic,
    sourceTopic,
    sourcePartition: positiveInt(headers[DLQ_HEADERS.partition]) ?? 0,
    sourceOffset: headers[DLQ_HEADERS.offset] ?? '-1',
    dlqTopic,
    dlqPartition: partition,
    dlqOffset: message.offset,
    orderId: orderIdOf(message.key) ?? null,
    reason: headers[DLQ_HEADERS.reason] ?? 'unknown',
    reasonCode: headers[DLQ_HEADERS.reasonCode] ?? 'permanent_error',
    key: message.key?.toString('utf8') ?? null,
    value: message.value?.toString('utf8') ?? null,
    headers,
    failedAt: Number.isNaN(failedAt.getTime()) ? new Date() : failedAt,
    redriveOf: positiveInt(headers[DLQ_HEADERS.redriveOf]),
  };
}

/** A stored dead letter, as much of it as a redrive needs. */
export type StoredMessage = { id: number; sourceTopic: string; key: string | null; value: string | null; headers: Record<string, string> };

/** The message a redrive sends: key and value as stored, the original headers without dlq-*, and the redrive's own. */
export function redriveMessageOf(
  stored: StoredMessage,
  redrivenAt: Date,
): { topic: string; key: string | null; value: string | null; headers: Record<string, string> } {
  const original = Object.fromEntries(Object.entries(stored.headers).filter(([name]) => !name.startsWith('dlq-')));
  return {
    topic: stored.sourceTopic,
    key: stored.key,
    value: stored.value,
    headers: { ...original, [DLQ_HEADERS.redriveOf]: String(stored.id), [DLQ_HEADERS.redrivenAt]: redrivenAt.toISOString() },
  };
}

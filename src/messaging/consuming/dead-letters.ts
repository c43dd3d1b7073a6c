// Dead-lettering: a message that can never succeed goes to `<topic>.dlq`, unchanged, with headers saying why and
// where it came from, so its partition moves on and an operator can read (and later send back) what failed.
import type { Logger } from '../../logger.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import { Partitioners, type IHeaders, type Kafka, type Message, type Producer } from '../kafka.ts';
import { dlqTopic } from '../topics.ts';
import { orderIdOf } from './parse-event.ts';

/**
 * Every reason code a dead letter can carry: the parser's two, and those the handlers give their PermanentErrors.
 * One list, so saga_dead_letters_total's label stays a small fixed set and operators can filter dead letters by it.
 */
export const REASON_CODES = [
  'invalid_json',
  'invalid_schema',
  'permanent_error',
  'workflow_id_taken',
  'unknown_user',
  'unknown_order_or_user',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** Dead-letter headers: why and when it failed, where it came from, and which stored dead letter it was redriven as. */
export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  reasonCode: 'dlq-reason-code',
  failedAt: 'dlq-failed-at',
  topic: 'dlq-topic',
  partition: 'dlq-partition',
  offset: 'dlq-offset',
  redriveOf: 'dlq-redrive-of',
  redrivenAt: 'dlq-redriven-at',
} as const;

/**
 * A failure that retrying cannot fix: the message goes to the dead-letter topic. `reason` is a short code from a
 * fixed set (it labels saga_dead_letters_total); the message, with ids, goes into the dead letter's header.
 */
export class PermanentError extends Error {
  readonly reason: ReasonCode;
  constructor(message: string, reason: ReasonCode = 'permanent_error') {
    super(message);
    this.reason = reason;
  }
}

/** Where a consumed message came from. */
export type Origin = {
  topic: string;
  partition: number;
  message: { key: Buffer | null; value: Buffer | null; offset: string; headers?: IHeaders };
};

/**
 * The dead letter of a message: its key and value as they were, the reason, its code, the time and the origin as
 * headers. A message that was itself a redrive keeps its `dlq-redrive-of`, so the recorder counts this failure on
 * the stored dead letter it came from instead of storing a new one (src/dead-letters/).
 */
export function deadLetterOf({ topic, partition, message }: Origin, reason: string, code: string, failedAt = new Date()): Message {
  const redriveOf = message.headers?.[DLQ_HEADERS.redriveOf];
  return {
    key: message.key,
    value: message.value,
    headers: {
      [DLQ_HEADERS.reason]: reason.slice(0, 2000),
      [DLQ_HEADERS.reasonCode]: code,
      [DLQ_HEADERS.failedAt]: failedAt.toISOString(),
      [DLQ_HEADERS.topic]: topic,
      [DLQ_HEADERS.partition]: String(partition),
      [DLQ_HEADERS.offset]: message.offset,
      ...(redriveOf !== undefined && { [DLQ_HEADERS.redriveOf]: String(Array.isArray(redriveOf) ? redriveOf[0] : redriveOf) }),
    },
  };
}

/** The dead-letter producer of one consumer: idempotent, acks from all replicas, one request in flight. */
export class DeadLetters {
  private readonly producer: Producer;
  private readonly log: Logger;
  private readonly metrics: Metrics['consumer'] | undefined;

  constructor(kafka: Kafka, log: Logger, metrics?: Metrics) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    this.log = log;
    this.metrics = metrics?.consumer;
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  /** Sends the message to its topic's dead-letter topic; resolves once every in-sync replica has it. */
  async send(origin: Origin, reason: string, code: string): Promise<void> {
    const { topic, partition, message } = origin;
    this.log.warn(
      { orderId: orderIdOf(message.key), topic, partition, offset: message.offset, reason, reasonCode: code },
      'message sent to the dead-letter topic',
    );
    await this.producer.send({ topic: dlqTopic(topic), acks: -1, messages: [deadLetterOf(origin, reason, code)] });
    this.metrics?.deadLettered.inc({ topic, reason: code });
  }
}

// Dead-lettering: a message that can never succeed goes to `<topic>.dlq`, unchanged, with headers saying why and
// where it came from, so its partition moves on and an operator can read (and later send back) what failed.
import type { Logger } from '../../logger.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import { Partitioners, type Kafka, type Message, type Producer } from '../kafka.ts';
import { dlqTopic } from '../topics.ts';
import { orderIdOf } from './parse-event.ts';

/**
 * A failure that retrying cannot fix: the message goes to the dead-letter topic. `reason` is a short code from a
 * fixed set (it labels saga_dead_letters_total); the message, with ids, goes into the dead letter's header.
 */
export class PermanentError extends Error {
  readonly reason: string;
  constructor(message: string, reason = 'permanent_error') {
    super(message);
    this.reason = reason;
  }
}

/** Where a consumed message came from. */
export type Origin = { topic: string; partition: number; message: { key: Buffer | null; value: Buffer | null; offset: string } };

/** The dead letter of a message: its key and value as they were, the reason and origin as headers. */
export function deadLetterOf({ topic, partition, message }: Origin, reason: string): Message {
  return {
    key: message.key,
    value: message.value,
    headers: {
      'dlq-reason': reason.slice(0, 2000),
      'dlq-topic': topic,
      'dlq-partition': String(partition),
      'dlq-offset': message.offset,
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
      { orderId: orderIdOf(message.key), topic, partition, offset: message.offset, reason },
      'message sent to the dead-letter topic',
    );
    await this.producer.send({ topic: dlqTopic(topic), acks: -1, messages: [deadLetterOf(origin, reason)] });
    this.metrics?.deadLettered.inc({ topic, reason: code });
  }
}

// The relay's Kafka producer: idempotent, acks from all in-sync replicas, one request in flight (rows leave in id
// order), created and connected on first use and replaced after any failed send.
import { Partitioners, type Kafka, type Producer } from '../../messaging/kafka.ts';
import type { TopicMessages } from './topic-messages.ts';

/** A failed publish, carrying the rows it left pending so their attempts can be counted after the rollback. */
export class PublishError extends Error {
  readonly ids: string[];
  constructor(ids: string[], cause: unknown) {
    super(`cannot publish to Kafka: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.ids = ids;
  }
}

export class OutboxProducer {
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private connected = false;

  constructor(kafka: Kafka) {
    this.kafka = kafka;
  }

  /** Sends the batch; resolves once Kafka acknowledged every message. */
  async send(topicMessages: TopicMessages[]): Promise<void> {
    try {
      // A bounded retry makes a send fail in seconds instead of holding the batch's transaction through an outage.
      this.producer ??= this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 2 },
      });
      if (!this.connected) {
        await this.producer.connect();
        this.connected = true;
      }
      await this.producer.sendBatch({ acks: -1, topicMessages });
    } catch (err) {
      // After a failed send the producer's sequence numbers may no longer match the broker's; the next attempt starts
      // with a fresh producer (and a fresh producer id) rather than risk an OutOfOrderSequence error.
      await this.drop();
      throw err;
    }
  }

  async drop(): Promise<void> {
    const old = this.producer;
    this.producer = undefined;
    this.connected = false;
    await old?.disconnect().catch(() => undefined);
  }
}

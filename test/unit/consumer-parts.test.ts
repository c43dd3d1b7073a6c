// The consumer loop's parts on their own, without a broker: parsing, the retry pauses, the dead letter's shape, the
// readiness rules (with a clock of the test's own) and the offset bookkeeping of a batch handled in groups.
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { backoffMs } from '../../src/lib/backoff.ts';
import { inGroups } from '../../src/messaging/consuming/batch-groups.ts';
import { ConsumerHealth } from '../../src/messaging/consuming/consumer-health.ts';
import { deadLetterOf } from '../../src/messaging/consuming/dead-letters.ts';
import { orderIdOf, parseEvent } from '../../src/messaging/consuming/parse-event.ts';
import type { EachBatchPayload, EachMessagePayload } from '../../src/messaging/kafka.ts';

const Event = z.object({ orderId: z.number().int() });
const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('parsing a message', () => {
  it('when the value is valid JSON of the schema, then its value', () => {
    expect(parseEvent(bytes('{"orderId":7}'), Event)).toEqual({ ok: true, value: { orderId: 7 } });
  });

  it('when the value is not JSON (or missing), then invalid_json', () => {
    expect(parseEvent(bytes('{"orderId":'), Event)).toEqual({ ok: false, reason: 'not valid JSON', code: 'invalid_json' });
    expect(parseEvent(null, Event)).toEqual({ ok: false, reason: 'not valid JSON', code: 'invalid_json' });
  });

  it('when a field breaks the schema, then invalid_schema naming the field', () => {
    const parsed = parseEvent(bytes('{"orderId":"7"}'), Event);
    expect(parsed).toEqual({ ok: false, reason: expect.stringMatching(/^schema: orderId: /), code: 'invalid_schema' });
  });

  it('when the key is an order id, then log lines name it; otherwise not', () => {
    expect(orderIdOf(bytes('42'))).toBe(42);
    expect(orderIdOf(bytes('order-42'))).toBeUndefined();
    expect(orderIdOf(null)).toBeUndefined();
  });
});

describe('retry pauses', () => {
  const handler = { startMs: 200, maxMs: 10_000, maxDoublings: 10 };

  it('when attempts fail one after another, then the pause doubles from the start up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffMs(handler, a))).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000]);
  });

  it('when an outage lasts thousands of attempts, then the pause stays at the cap (no overflow)', () => {
    expect(backoffMs(handler, 5000)).toBe(10_000);
    expect(backoffMs({ startMs: 1000, maxMs: 1e12, maxDoublings: 5 }, 50)).toBe(32_000);
  });
});

describe('a dead letter', () => {
  const failedAt = new Date('2026-11-27T10:00:00.000Z');

  it('when a message is dead-lettered, then key and value are kept and the headers say why, when and from where', () => {
    const origin = { topic: 'orders', partition: 2, message: { key: bytes('42'), value: bytes('{oops'), offset: '17' } };
    expect(deadLetterOf(origin, 'not valid JSON', 'invalid_json', failedAt)).toEqual({
      key: bytes('42'),
      value: bytes('{oops'),
      headers: {
        'dlq-reason': 'not valid JSON',
        'dlq-reason-code': 'invalid_json',
        'dlq-failed-at': '2026-11-27T10:00:00.000Z',
        'dlq-topic': 'orders',
        'dlq-partition': '2',
        'dlq-offset': '17',
      },
    });
  });

  it('when the message was a redrive, then its dlq-redrive-of is carried over and its other headers are not', () => {
    const headers = { 'dlq-redrive-of': bytes('9'), 'dlq-redriven-at': '2026-11-27T09:00:00.000Z', traceparent: 'x' };
    const origin = { topic: 'orders', partition: 0, message: { key: null, value: null, offset: '3', headers } };
    const written = deadLetterOf(origin, 'user 1 of order 2 does not exist', 'unknown_user', failedAt).headers!;
    expect(written['dlq-redrive-of']).toBe('9');
    expect(Object.keys(written)).not.toContain('dlq-redriven-at');
    expect(Object.keys(written)).not.toContain('traceparent');
  });

  it('when the reason is very long, then its header is cut to 2000 characters', () => {
    const origin = { topic: 't', partition: 0, message: { key: null, value: null, offset: '0' } };
    expect(deadLetterOf(origin, 'x'.repeat(5000), 'permanent_error').headers!['dlq-reason']).toHaveLength(2000);
  });
});

describe("a consumer's readiness", () => {
  const clockAt = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('when it has not joined its group yet, then not ready, saying so', () => {
    const clock = clockAt();
    const health = new ConsumerHealth('g', clock.now);
    clock.advance(3000);
    expect(health.loopState(60_000)).toEqual({ ok: false, error: 'consumer (re)joining group g for 3 s' });
  });

  it('when joined, then ready; a short rebalance stays ready, a long one does not', () => {
    const clock = clockAt();
    const health = new ConsumerHealth('g', clock.now);
    health.enter('joined');
    expect(health.loopState(10_000)).toEqual({ ok: true });
    health.enter('rebalancing');
    clock.advance(10_000);
    expect(health.loopState(10_000)).toEqual({ ok: true });
    clock.advance(1);
    expect(health.loopState(10_000)).toEqual({ ok: false, error: 'group g rebalancing for 10 s' });
  });

  it('when a message fails, then ready until it has failed for longer than the limit, counted from its first failure', () => {
    const clock = clockAt();
    const health = new ConsumerHealth('g', clock.now);
    health.enter('joined');
    health.failed('t/0@5', clock.now(), 'db down');
    clock.advance(6000);
    health.failed('t/0@5', clock.now(), 'db still down');
    expect(health.loopState(10_000)).toEqual({ ok: true });
    clock.advance(5000);
    expect(health.loopState(10_000)).toEqual({ ok: false, error: 'message on t/0@5 failing for 11 s: db still down' });
    health.settled('t/0@5');
    expect(health.loopState(10_000)).toEqual({ ok: true });
  });

  it('when crashed or stopping, then not ready', () => {
    const health = new ConsumerHealth('g');
    health.enter('crashed', 'broker gone');
    expect(health.loopState(60_000)).toEqual({ ok: false, error: expect.stringMatching(/^consumer crashed \d+ s ago: broker gone$/) });
    health.stopping = true;
    expect(health.loopState(60_000)).toEqual({ ok: false, error: 'consumer stopping' });
  });
});

describe('a batch handled in groups', () => {
  /** A fetched batch of offsets 10..(10+n-1) that records what the loop does with it. */
  const batchOf = (n: number, { stopAfterResolves = Infinity } = {}) => {
    const events: string[] = [];
    let resolves = 0;
    const payload = {
      batch: {
        topic: 't',
        partition: 3,
        messages: Array.from({ length: n }, (_, i) => ({ offset: String(10 + i), key: null, value: null })),
      },
      resolveOffset: (offset: string) => {
        resolves++;
        events.push(`resolve ${offset}`);
      },
      heartbeat: async () => undefined,
      pause: () => () => undefined,
      isRunning: () => resolves < stopAfterResolves,
      isStale: () => false,
    } as unknown as EachBatchPayload;
    return { payload, events };
  };

  it('when 5 messages come 2 at a time, then each group runs together and the offset moves past each whole group', async () => {
    const { payload, events } = batchOf(5);
    const handle = inGroups(2, async ({ message }: EachMessagePayload) => void events.push(`handle ${message.offset}`));
    await handle(payload);
    expect(events).toEqual(['handle 10', 'handle 11', 'resolve 11', 'handle 12', 'handle 13', 'resolve 13', 'handle 14', 'resolve 14']);
  });

  it('when one message of a group is still being retried, then its neighbour finishes but the offset waits for both', async () => {
    const { payload, events } = batchOf(2);
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const handle = inGroups(2, async ({ message }: EachMessagePayload) => {
      if (message.offset === '10') await slow;
      events.push(`handle ${message.offset}`);
    });
    const running = handle(payload);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['handle 11']);
    release();
    await running;
    expect(events).toEqual(['handle 11', 'handle 10', 'resolve 11']);
  });

  it('when the consumer stops after a group, then the rest of the batch is left for whoever owns the partition next', async () => {
    const { payload, events } = batchOf(6, { stopAfterResolves: 1 });
    await inGroups(2, async ({ message }: EachMessagePayload) => void events.push(`handle ${message.offset}`))(payload);
    expect(events).toEqual(['handle 10', 'handle 11', 'resolve 11']);
  });
});

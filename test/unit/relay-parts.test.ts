// The outbox relay's parts on their own, without a database or broker: the Kafka batch built from outbox rows, the
// failure pauses and the readiness rule (with a clock of the test's own).
import { describe, expect, it } from '@jest/globals';
import { backoffMs } from '../../src/lib/backoff.ts';
import type { OutboxRow } from '../../src/outbox/relaying/outbox-rows.ts';
import { RoundClock } from '../../src/outbox/relaying/round-clock.ts';
import { topicMessagesOf } from '../../src/outbox/relaying/topic-messages.ts';

const row = (id: string, topic: string, orderId: number, type = 'OrderCreated'): OutboxRow => ({
  id,
  topic,
  message_key: String(orderId),
  event_type: type,
  payload: `{"type":"${type}","orderId":${orderId}}`,
  trace_context: null,
});

describe('the Kafka batch of outbox rows', () => {
  it('when rows of two topics are interleaved, then one entry per topic, rows in id order within it, under the prefix', () => {
    const rows = [row('1', 'created', 1), row('2', 'completed', 1, 'OrderCompleted'), row('3', 'created', 2)];
    const batch = topicMessagesOf(rows, 'staging.', () => ({}));
    expect(batch.map((b) => [b.topic, b.messages.map((m) => m.headers['outbox-id'])])).toEqual([
      ['staging.created', ['1', '3']],
      ['staging.completed', ['2']],
    ]);
  });

  it('when a row is sent, then keyed by its order id, its payload as the value, type, outbox id and trace as headers', () => {
    const [entry] = topicMessagesOf([row('9', 'created', 42)], '', (_row, topic) => ({ traceparent: `for ${topic}` }));
    expect(entry!.messages).toEqual([
      {
        key: '42',
        value: '{"type":"OrderCreated","orderId":42}',
        headers: { 'event-type': 'OrderCreated', 'outbox-id': '9', traceparent: 'for created' },
      },
    ]);
  });

  it('when there are no rows, then no entries', () => {
    expect(topicMessagesOf([], 'p.', () => ({}))).toEqual([]);
  });
});

describe("the relay's failure pauses", () => {
  it('when rounds keep failing, then the pause doubles from 200 ms up to 10 s', () => {
    const pause = { startMs: 200, maxMs: 10_000 };
    expect([1, 2, 3, 6, 7, 100].map((f) => backoffMs(pause, f))).toEqual([200, 400, 800, 6400, 10_000, 10_000]);
  });
});

describe("the relay's readiness", () => {
  const clockAt = () => {
    let now = 5_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('when it has just started, then ready (its first round has not had a chance yet)', () => {
    expect(new RoundClock().loopState(1000)).toEqual({ ok: true });
  });

  it('when no round completed within the limit, then not ready with the last error, and ready again after a round', () => {
    const clock = clockAt();
    const rounds = new RoundClock(clock.now);
    rounds.failed('cannot publish to Kafka: broker down');
    clock.advance(31_000);
    expect(rounds.loopState(30_000)).toEqual({
      ok: false,
      error: 'no completed outbox polling round for 31 s; last error: cannot publish to Kafka: broker down',
    });
    rounds.completed();
    expect(rounds.loopState(30_000)).toEqual({ ok: true });
  });

  it('when a round is merely slow (no error), then the reason says it is still running; when stopping, not ready', () => {
    const clock = clockAt();
    const rounds = new RoundClock(clock.now);
    clock.advance(45_000);
    expect(rounds.loopState(30_000)).toEqual({ ok: false, error: 'no completed outbox polling round for 45 s (a round is still running)' });
    rounds.stopping = true;
    expect(rounds.loopState(30_000)).toEqual({ ok: false, error: 'relay stopping' });
  });
});

// The pure parts of the dead-letter store: the filter (validation with the allowed values named, the SQL condition),
// a dead letter read from its topic → the stored row, and a stored row → the redriven message and its headers.
import { describe, expect, it } from '@jest/globals';
import { narrows, rangeProblem, ReasonName, Timestamp, TopicName, whereOf } from '../../src/dead-letters/dead-letter-filter.ts';
import { recordOf, redriveMessageOf, textHeaders } from '../../src/dead-letters/dead-letter-messages.ts';
import { deadLetterTable, parseDlqCommand, UsageError } from '../../src/dead-letters/dlq-command.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const messageOf = (result: { success: boolean; error?: { issues: Array<{ message: string }> } }) => result.error?.issues[0]?.message;

describe('a dead-letter filter', () => {
  it('when the topic is one of the event topics, then it is taken; otherwise the message names it and the allowed ones', () => {
    expect(TopicName.safeParse('order-created-events').success).toBe(true);
    expect(messageOf(TopicName.safeParse('order-created'))).toBe(
      "unknown topic 'order-created'; allowed: order-created-events, order-completed-events, order-expired-events, order-cancelled-events",
    );
  });

  it('when the reason is not a reason code, then the message names it and every code', () => {
    expect(ReasonName.safeParse('invalid_json').success).toBe(true);
    const message = messageOf(ReasonName.safeParse('bad_json'));
    expect(message).toMatch(/^unknown reason 'bad_json'; allowed: invalid_json, invalid_schema, permanent_error, workflow_id_taken/);
  });

  it('when a time is not ISO-8601, then it is refused naming it; a time range running backwards is a problem', () => {
    expect(Timestamp.safeParse('2026-11-27T10:00:00Z').success).toBe(true);
    expect(Timestamp.safeParse('2026-11-27T10:00:00+01:00').success).toBe(true);
    expect(messageOf(Timestamp.safeParse('yesterday'))).toMatch(/^'yesterday' is not an ISO-8601 date-time/);
    expect(rangeProblem('2026-11-28T00:00:00Z', '2026-11-27T00:00:00Z')).toMatch(/is after/);
    expect(rangeProblem('2026-11-27T00:00:00Z', undefined)).toBeUndefined();
  });

  it('when a filter has only a state, or an empty order list, then it does not narrow a redrive down', () => {
    expect(narrows({ state: 'dead' })).toBe(false);
    expect(narrows({ orderIds: [] })).toBe(false);
    expect(narrows({ orderIds: [7] })).toBe(true);
    expect(narrows({ to: new Date() })).toBe(true);
  });

  it('when fields are set, then the SQL condition has one placeholder per value, and the cursor continues below it', () => {
    const from = new Date('2026-11-27T00:00:00Z');
    expect(whereOf({})).toEqual({ sql: 'true', params: [] });
    expect(
      whereOf({ topic: 'order-created-events', reason: 'invalid_json', orderIds: [1, 2], state: 'dead', from }, { afterId: 50 }),
    ).toEqual({
      sql: 'topic = ? and reason_code = ? and order_id in (?, ?) and state = ? and last_failed_at >= ? and id < ?',
      params: ['order-created-events', 'invalid_json', 1, 2, 'dead', from, 50],
    });
  });
});

describe('a dead letter read from its topic', () => {
  const headers = {
    'dlq-reason': 'user 3 of order 42 does not exist',
    'dlq-reason-code': 'unknown_user',
    'dlq-failed-at': '2026-11-27T10:00:00.000Z',
    'dlq-topic': 'env.order-completed-events',
    'dlq-partition': '4',
    'dlq-offset': '17',
  };

  it('when it carries the dlq headers, then the row has its origin, the topic without prefix, its order and the message as text', () => {
    const message = { key: bytes('42'), value: bytes('{"type":"OrderCompleted"}'), offset: '9', headers };
    expect(recordOf({ topic: 'env.order-completed-events.dlq', partition: 4, message }, 'env.')).toEqual({
      topic: 'order-completed-events',
      sourceTopic: 'env.order-completed-events',
      sourcePartition: 4,
      sourceOffset: '17',
      dlqTopic: 'env.order-completed-events.dlq',
      dlqPartition: 4,
      dlqOffset: '9',
      orderId: 42,
      reason: 'user 3 of order 42 does not exist',
      reasonCode: 'unknown_user',
      key: '42',
      value: '{"type":"OrderCompleted"}',
      headers,
      failedAt: new Date('2026-11-27T10:00:00.000Z'),
      redriveOf: null,
    });
  });

  it('when it was a redrive, then the row names the entry it came from; a key that is no order id gives none', () => {
    const message = { key: bytes('not-an-order'), value: null, offset: '0', headers: { ...headers, 'dlq-redrive-of': bytes('12') } };
    const record = recordOf({ topic: 'env.order-completed-events.dlq', partition: 0, message }, 'env.');
    expect(record.redriveOf).toBe(12);
    expect(record.orderId).toBeNull();
  });

  it('when it predates the code and time headers, then its code is permanent_error and its time the message timestamp', () => {
    const message = { key: null, value: null, offset: '0', timestamp: '1796000000000', headers: { 'dlq-reason': 'old' } };
    const record = recordOf({ topic: 'order-created-events.dlq', partition: 0, message }, '');
    expect(record).toEqual(
      expect.objectContaining({ topic: 'order-created-events', reasonCode: 'permanent_error', failedAt: new Date(1796000000000) }),
    );
  });

  it('when a header repeats or is a Buffer, then it is stored as text, the last value winning', () => {
    expect(textHeaders({ a: bytes('x'), b: [bytes('1'), '2'], c: undefined })).toEqual({ a: 'x', b: '2' });
  });
});

describe('a redriven message', () => {
  it('when a stored dead letter is redriven, then key and value are as stored, dlq-* headers are dropped and the redrive headers added', () => {
    const at = new Date('2026-11-28T08:00:00.000Z');
    const stored = {
      id: 12,
      sourceTopic: 'env.order-created-events',
      key: '42',
      value: '{"type":"OrderCreated"}',
      headers: { 'dlq-reason': 'x', 'dlq-reason-code': 'invalid_json', 'dlq-redrive-of': '3', traceparent: '00-abc-def-01' },
    };
    expect(redriveMessageOf(stored, at)).toEqual({
      topic: 'env.order-created-events',
      key: '42',
      value: '{"type":"OrderCreated"}',
      headers: { traceparent: '00-abc-def-01', 'dlq-redrive-of': '12', 'dlq-redriven-at': '2026-11-28T08:00:00.000Z' },
    });
  });
});

describe('npm run ops -- dlq', () => {
  it('when list gets filters, then they are validated like the API and the limit defaults to 50', () => {
    expect(parseDlqCommand(['list', '--topic', 'order-created-events', '--order-id', '7', '--state', 'dead'])).toEqual({
      command: 'list',
      filter: { topic: 'order-created-events', orderIds: [7], state: 'dead' },
      limit: 50,
      json: false,
    });
    expect(() => parseDlqCommand(['list', '--topic', 'orders'])).toThrow(/^--topic: unknown topic 'orders'; allowed: order-created-events/);
    expect(() => parseDlqCommand(['list', '--limit', '0'])).toThrow(/--limit/);
    expect(() => parseDlqCommand(['list', '--colour'])).toThrow(UsageError);
  });

  it('when redrive gets several orders and --dry-run, then it is a dry run of those; without a filter it is refused', () => {
    expect(parseDlqCommand(['redrive', '--order-id', '7', '--order-id', '8', '--reason', 'invalid_json', '--dry-run', '--json'])).toEqual({
      command: 'redrive',
      filter: { reason: 'invalid_json', orderIds: [7, 8] },
      dryRun: true,
      json: true,
    });
    expect(() => parseDlqCommand(['redrive', '--dry-run'])).toThrow(/at least one filter/);
    expect(() => parseDlqCommand(['redrive', '--reason', 'oops'])).toThrow(/unknown reason 'oops'/);
    expect(() => parseDlqCommand(['redrive', '--from', 'monday'])).toThrow(/'monday' is not an ISO-8601 date-time/);
    expect(() => parseDlqCommand(['redo'])).toThrow(/unknown command 'redo'/);
  });

  it('when entries are printed, then there is a header line and one line per entry with its reason cut to fit', () => {
    const entry = {
      id: 3,
      topic: 'order-created-events',
      reason: 'x'.repeat(100),
      reasonCode: 'invalid_json',
      orderId: null,
      firstFailedAt: '2026-11-27T10:00:00.000Z',
      lastFailedAt: '2026-11-27T10:00:00.000Z',
      attempts: 1,
      state: 'dead' as const,
      redrivenAt: null,
      message: { key: null, value: null, headers: {} },
    };
    const [header, line, ...rest] = deadLetterTable([entry]).split('\n');
    expect(header).toMatch(/^id\s+topic\s+code\s+order\s+tries\s+state\s+last failed\s+reason$/);
    expect(line).toMatch(/^3\s+order-created-events\s+invalid_json\s+-\s+1\s+dead\s+2026-11-27T10:00:00.000Z\s+x{59}…$/);
    expect(rest).toEqual([]);
  });
});

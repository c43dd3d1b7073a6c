// /api/admin/dead-letters on the real test database, without Kafka: who may call it, how the list filters and pages,
// what a dry run answers, and that client mistakes (unknown topic or reason code, bad dates, no filter) are 400s
// naming the bad value. Entries are written here as the recorder would write them, for order ids of this file's own;
// the full path (consumer → recorder → redrive → consumer) is test/integration/dead-letters.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import { ISO_UTC, expectError, expectStatus, sql } from './support.ts';

type DeadLetterDto = {
  id: number;
  topic: string;
  reason: string;
  reasonCode: string;
  orderId: number | null;
  firstFailedAt: string;
  lastFailedAt: string;
  attempts: number;
  state: 'dead' | 'redriven';
  redrivenAt: string | null;
  message: { key: string | null; value: string | null; headers: Record<string, string> };
};

let api: TestApi;
let admin: string;
let customer: string;
/** Order ids no other file uses: a block of its own per run of this file. */
const base = 1_500_000_000 + (process.pid % 1000) * 1000;
let offset = 0;

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.login('admin@example.com', 'Password123!');
  customer = await api.login('test@example.com', 'Password123!');
});
afterAll(async () => {
  await sql(api, 'delete from dead_letters where order_id between ? and ?', [base, base + 999]);
  await api.close();
});

/** Stores a dead letter as the recorder does; returns its id. */
async function insertDeadLetter(
  orderId: number,
  { topic = 'order-created-events', code = 'invalid_json', failedAt = new Date(), state = 'dead' } = {},
): Promise<number> {
  offset += 1;
  const headers = { 'dlq-reason': `reason ${code}`, 'dlq-reason-code': code, 'dlq-topic': `test.${topic}` };
  const [row] = await sql<{ id: string }>(
    api,
    `insert into dead_letters (topic, source_topic, source_partition, source_offset, dlq_topic, dlq_partition, dlq_offset,
       order_id, reason, reason_code, message_key, message_value, headers, first_failed_at, last_failed_at, state)
     values (?, ?, 0, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
    [
      topic,
      `test.${topic}`,
      offset,
      `admin-api-test-${process.pid}.dlq`,
      offset,
      orderId,
      `reason ${code}`,
      code,
      String(orderId),
      '{oops',
      JSON.stringify(headers),
      failedAt,
      failedAt,
      state,
    ],
  );
  return Number(row!.id);
}

const list = (query = '', token = admin) => api.request<DeadLetterDto[]>('GET', `/api/admin/dead-letters${query}`, { token });
const redrive = (body: unknown, token = admin) => api.request('POST', '/api/admin/dead-letters/redrive', { token, body });

describe('who may use the dead letters', () => {
  it('when nobody is logged in, then 401; when a customer asks, then 403; both as problem documents', async () => {
    expectError(await api.request('GET', '/api/admin/dead-letters'), 401);
    expectError(await api.request('POST', '/api/admin/dead-letters/redrive', { body: { topic: 'order-created-events' } }), 401);
    expectError(await list('', customer), 403);
    expectError(await redrive({ topic: 'order-created-events', dryRun: true }, customer), 403);
  });
});

describe('GET /api/admin/dead-letters', () => {
  it('when an admin filters by order, then the entries come newest first with reason, code, times, state and the message', async () => {
    const orderId = base + 1;
    const older = await insertDeadLetter(orderId, { code: 'invalid_json' });
    const newer = await insertDeadLetter(orderId, { topic: 'order-completed-events', code: 'unknown_user' });

    const res = await list(`?orderId=${orderId}`);

    expectStatus(res, 200);
    expect(res.body.map((d) => d.id)).toEqual([newer, older]);
    expect(res.body[0]).toEqual({
      id: newer,
      topic: 'order-completed-events',
      reason: 'reason unknown_user',
      reasonCode: 'unknown_user',
      orderId,
      firstFailedAt: expect.stringMatching(ISO_UTC),
      lastFailedAt: expect.stringMatching(ISO_UTC),
      attempts: 1,
      state: 'dead',
      redrivenAt: null,
      message: {
        key: String(orderId),
        value: '{oops',
        headers: { 'dlq-reason': 'reason unknown_user', 'dlq-reason-code': 'unknown_user', 'dlq-topic': 'test.order-completed-events' },
      },
    });
  });

  it('when filtered by topic, reason, state and time, then only matching entries come back', async () => {
    const orderId = base + 2;
    const lastWeek = new Date(Date.now() - 7 * 86_400_000);
    const created = await insertDeadLetter(orderId, { topic: 'order-created-events', code: 'invalid_schema', failedAt: lastWeek });
    const expired = await insertDeadLetter(orderId, { topic: 'order-expired-events', code: 'unknown_user' });
    const redriven = await insertDeadLetter(orderId, { topic: 'order-expired-events', code: 'unknown_user', state: 'redriven' });
    const ids = async (query: string) => (await list(`?orderId=${orderId}&${query}`)).body.map((d) => d.id);

    expect(await ids('topic=order-expired-events')).toEqual([redriven, expired]);
    expect(await ids('reason=invalid_schema')).toEqual([created]);
    expect(await ids('state=dead')).toEqual([expired, created]);
    expect(await ids(`to=${new Date(Date.now() - 86_400_000).toISOString()}`)).toEqual([created]);
    expect(await ids(`from=${encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString())}`)).toEqual([redriven, expired]);
  });

  it('when there are more entries than the limit, then the Link header leads to the next page and pages neither repeat nor skip', async () => {
    const orderId = base + 3;
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await insertDeadLetter(orderId));

    const first = await list(`?orderId=${orderId}&limit=2`);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
    const second = await api.request<DeadLetterDto[]>('GET', next!, { token: admin });

    expect(first.body.map((d) => d.id)).toEqual([made[4], made[3]]);
    expect(next).toContain(`orderId=${orderId}`);
    expect(second.body.map((d) => d.id)).toEqual([made[2], made[1]]);
  });

  it('when the topic, reason, state or a date is unknown or malformed, then 400 naming the bad value and the allowed ones', async () => {
    expectError(
      await list('?topic=order-created'),
      400,
      /unknown topic 'order-created'; allowed: order-created-events, order-completed-events/,
    );
    expectError(await list('?reason=bad_json'), 400, /unknown reason 'bad_json'; allowed: invalid_json, invalid_schema/);
    expectError(await list('?state=alive'), 400, /unknown state 'alive'; allowed: dead, redriven/);
    expectError(await list('?from=yesterday'), 400, /'yesterday' is not an ISO-8601 date-time/);
    expectError(await list('?from=2026-11-28T00:00:00Z&to=2026-11-27T00:00:00Z'), 400, /is after/);
    expectError(await list('?orderId=-4'), 400, /orderId/);
  });
});

describe('POST /api/admin/dead-letters/redrive', () => {
  it('when a dry run names orders, then it answers the dead entries it would send, and nothing changes', async () => {
    const orderId = base + 4;
    const dead = await insertDeadLetter(orderId);
    await insertDeadLetter(orderId, { state: 'redriven' });

    const res = await redrive({ orderIds: [orderId], dryRun: true });

    expectStatus(res, 200);
    expect(res.body).toEqual({ dryRun: true, count: 1, ids: [dead], more: false });
    expect((await list(`?orderId=${orderId}&state=dead`)).body.map((d) => d.id)).toEqual([dead]);
  });

  it('when this API has no Kafka producer, then a real redrive is 503 and nothing changes', async () => {
    const orderId = base + 5;
    const dead = await insertDeadLetter(orderId);

    expectError(await redrive({ orderIds: [orderId] }), 503, /Kafka/);
    expect((await list(`?orderId=${orderId}`)).body.map((d) => [d.id, d.state])).toEqual([[dead, 'dead']]);
  });

  it('when the body has no filter, an unknown topic or reason, a bad date or an unknown field, then 400 saying which', async () => {
    expectError(await redrive({}), 400, /at least one filter/);
    expectError(await redrive({ dryRun: true }), 400, /at least one filter/);
    expectError(await redrive({ topic: 'orders' }), 400, /unknown topic 'orders'; allowed: order-created-events/);
    expectError(await redrive({ reason: 'timeout' }), 400, /unknown reason 'timeout'; allowed: invalid_json/);
    expectError(await redrive({ from: '27.11.2026' }), 400, /'27.11.2026' is not an ISO-8601 date-time/);
    expectError(await redrive({ orderIds: [] }), 400, /orderIds/);
    expectError(await redrive({ orderId: 5 }), 400, /orderId/);
  });
});

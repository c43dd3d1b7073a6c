// requests: how long a customer's status request takes at the moments that used to make it wait, with the default
// 5-s payment and half of the payments declined:
//   process   POST /api/order/{id} {"status":"Processing"} sent right after the order was placed
//   pay       POST /api/order/{id}/pay    sent once the order shows phase `charging` (the charge in flight)
//   cancel    POST /api/order/{id}/cancel sent once the order shows phase `charging`
// Baseline: GET /api/order/{id} of the same order sent just before each request (the API's plain read of the row the
// answer comes from), so the ratio is what the request costs over a read. Afterwards every order must end with exactly
// one outcome: a pay during the charge completes the order even when the charge was declined; a cancel during the
// charge cancels a declined order and loses to an approved one; each final order gets one notification.
import { call, distribution, mapLimit, numberSetting, placeOrder, progress, sleep } from '../bench.lib.ts';
import { benchProduct, type StackClients } from '../saga.ts';
import type { StackNeeds } from '../stack.ts';
import type { Suite, SuiteContext } from '../suite.ts';

const PAYMENT_MS = 5000;
const SUCCESS_RATE = 0.5;

const halfDeclined: StackNeeds = {
  env: { PAYMENT_DURATION: '5s', PAYMENT_SUCCESS_RATE: String(SUCCESS_RATE) },
  check: (c) => [
    ...(c.PAYMENT_DURATION === PAYMENT_MS ? [] : [`PAYMENT_DURATION=${c.PAYMENT_DURATION}ms (needs the default 5s)`]),
    ...(c.PAYMENT_SUCCESS_RATE === SUCCESS_RATE ? [] : [`PAYMENT_SUCCESS_RATE=${c.PAYMENT_SUCCESS_RATE} (needs ${SUCCESS_RATE})`]),
  ],
};

function readSettings() {
  return {
    REQUESTS_N: numberSetting('REQUESTS_N', 24),
    REQUESTS_CONCURRENCY: numberSetting('REQUESTS_CONCURRENCY', 4),
  };
}

type Kind = 'process' | 'pay' | 'cancel';
type OrderDto = { id: number; status: string; phase: string };
type Sample = { kind: Kind; orderId: number; ms: number; code: number; answered: string; baselineMs: number };

/** One HTTP call timed; its status code and, for a 2xx, the order it answered with. */
async function timed(stack: StackClients, method: string, path: string, body?: unknown) {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` };
  const t = performance.now();
  const res = await fetch(new URL(path, stack.baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const ms = performance.now() - t;
  return { ms, code: res.status, dto: res.ok ? (JSON.parse(text) as OrderDto) : undefined };
}

/** Polls the order until its phase is `charging` (its payment in flight); false if it never was within 10 s. */
async function untilCharging(stack: StackClients, orderId: number): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const order = await call<OrderDto>(stack.baseUrl, { method: 'GET', path: `/api/order/${orderId}`, token: stack.token });
    if (order.phase === 'charging') return true;
    if (order.phase === 'done' || order.phase === 'awaiting-payment') return false;
    await sleep(20);
  }
  return false;
}

async function oneRequest(stack: StackClients, productId: number, kind: Kind): Promise<Sample | undefined> {
  const orderId = await placeOrder(stack.baseUrl, stack.token, productId);
  if (kind !== 'process' && !(await untilCharging(stack, orderId))) return undefined;
  const baseline = await timed(stack, 'GET', `/api/order/${orderId}`);
  const request =
    kind === 'process'
      ? await timed(stack, 'POST', `/api/order/${orderId}`, { id: orderId, status: 'Processing' })
      : await timed(stack, 'POST', `/api/order/${orderId}/${kind}`);
  return { kind, orderId, ms: request.ms, code: request.code, answered: request.dto?.status ?? '-', baselineMs: baseline.ms };
}

/** The orders' final statuses and notification counts once none is open (or the deadline passed). */
async function outcomes(stack: StackClients, ids: number[]) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const { rows } = await stack.db.query<{ id: number; status: string; notes: number }>(
      `select o.id, o.status, (select count(*)::int from notifications n where n.order_id = o.id) as notes
         from orders o where o.id = any($1::int[])`,
      [ids],
    );
    const open = rows.filter((r) => r.status === 'Pending' || r.status === 'Processing' || r.notes === 0);
    if (open.length === 0 || Date.now() > deadline) return rows;
    await sleep(500);
  }
}

async function run(ctx: SuiteContext, settings: ReturnType<typeof readSettings>): Promise<void> {
  const stack = await ctx.stack(halfDeclined);
  const productId = await benchProduct(stack, 'requests');
  const kinds: Kind[] = ['process', 'pay', 'cancel'];
  const samples: Sample[] = [];
  for (const kind of kinds) {
    progress(`${kind}: ${settings.REQUESTS_N} orders, ${settings.REQUESTS_CONCURRENCY} at a time`);
    const got = await mapLimit(Array.from({ length: settings.REQUESTS_N }), settings.REQUESTS_CONCURRENCY, () =>
      oneRequest(stack, productId, kind),
    );
    const taken = got.filter((s): s is Sample => s !== undefined);
    if (taken.length < got.length) ctx.note(`${kind}: ${got.length - taken.length} orders were never seen charging (skipped)`);
    samples.push(...taken);
  }

  // A declined `process` order waits 10 minutes for a payment: cancelled here so it does not linger; its outcome is
  // not checked (the cancel may find it charging or waiting).
  await mapLimit(
    samples.filter((s) => s.kind === 'process'),
    settings.REQUESTS_CONCURRENCY,
    (s) => timed(stack, 'POST', `/api/order/${s.orderId}/cancel`),
  );
  progress('waiting for every paid or cancelled order to finish and be notified');
  const rows = await outcomes(
    stack,
    samples.filter((s) => s.kind !== 'process').map((s) => s.orderId),
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const problems: string[] = [];
  for (const kind of kinds) {
    const of = samples.filter((s) => s.kind === kind);
    const ms = distribution(of.map((s) => s.ms));
    const base = distribution(of.map((s) => s.baselineMs));
    const codes = new Map<string, number>();
    for (const s of of) codes.set(`${s.code} ${s.answered}`, (codes.get(`${s.code} ${s.answered}`) ?? 0) + 1);
    const finals = new Map<string, number>();
    for (const s of of.filter((s) => s.kind !== 'process')) {
      const status = byId.get(s.orderId)?.status ?? 'missing';
      finals.set(status, (finals.get(status) ?? 0) + 1);
    }
    const answers = [...codes].map(([k, n]) => `${n}× ${k}`).join(', ');
    const ends = [...finals].map(([k, n]) => `${n}× ${k}`).join(', ');
    ctx.row({
      figure: `${kind}: request p50`,
      unit: 'ms',
      value: ms.p50,
      baseline: base.p50,
      baselineIs: 'GET of the same order just before',
    });
    ctx.row({
      figure: `${kind}: request p99`,
      unit: 'ms',
      value: ms.p99,
      baseline: base.p99,
      baselineIs: 'GET of the same order just before',
    });
    ctx.row({
      figure: `${kind}: request max`,
      unit: 'ms',
      value: ms.max,
      baseline: base.max,
      baselineIs: 'GET of the same order just before',
    });
    ctx.note(`${kind} (${of.length} orders): answers ${answers}${kind === 'process' ? '' : `; final ${ends}`}`);
    if (kind === 'pay' && (finals.get('Completed') ?? 0) !== of.length) problems.push(`pay during the charge: final ${ends}`);
    if (kind === 'cancel' && (finals.get('Completed') ?? 0) + (finals.get('Cancelled') ?? 0) !== of.length) {
      problems.push(`cancel during the charge: final ${ends}`);
    }
    const bad = of.filter((s) => s.code >= 500 || s.code === 0);
    if (bad.length > 0) problems.push(`${kind}: ${bad.length} answers 5xx`);
  }
  const notes = rows.filter((r) => r.notes !== 1);
  if (notes.length > 0)
    problems.push(`${notes.length} orders without exactly one notification (e.g. order ${notes[0]!.id}: ${notes[0]!.notes})`);
  ctx.result.details = samples;
  if (problems.length > 0) throw new Error(problems.join('; '));
}

export const requestsSuite: Suite = {
  name: 'requests',
  long: false,
  summary: 'status requests (Processing right after placing, pay and cancel during the charge): latency and outcomes',
  settings: readSettings,
  run: (ctx) => run(ctx, readSettings()),
};

// overload: orders offered above what the saga drains (open loop, OVERLOAD_RATE per second for OVERLOAD_S, default
// 5-s payment, every payment approved), once with admission control on and tight limits, once with it off (the
// baseline, same run). Sampled every second: the age of the oldest Pending order of the phase (what a customer waits
// before the saga takes the order) and the answers. With admission on, that age should stay near the limits while
// the surplus is refused with 503 + Retry-After; off, it grows for as long as the surplus lasts.
import { distribution, numberSetting, progress, sleep } from '../bench.lib.ts';
import { benchProduct, quiesce, type StackClients } from '../saga.ts';
import type { StackNeeds } from '../stack.ts';
import type { Suite, SuiteContext } from '../suite.ts';

function readSettings() {
  return {
    OVERLOAD_RATE: numberSetting('OVERLOAD_RATE', 60, { integer: false }),
    OVERLOAD_S: numberSetting('OVERLOAD_S', 60),
    OVERLOAD_DRAIN_S: numberSetting('OVERLOAD_DRAIN_S', 300),
  };
}

/** Tight enough to act within a minute's surplus; the defaults (120 s / 10,000 / 60 s) are for production. */
const LIMITS = { ADMISSION_MAX_OUTBOX_AGE: '10s', ADMISSION_MAX_BRIDGE_LAG: '500', ADMISSION_MAX_TASK_AGE: '10s' };
const OFF = { ADMISSION_MAX_OUTBOX_AGE: '0', ADMISSION_MAX_BRIDGE_LAG: '0', ADMISSION_MAX_TASK_AGE: '0' };

const needs = (limits: Record<string, string>, taskAgeMs: number): StackNeeds => ({
  env: { PAYMENT_DURATION: '5s', PAYMENT_SUCCESS_RATE: '1', ADMISSION_CHECK_INTERVAL: '1s', ...limits },
  check: (c) => [
    ...(c.PAYMENT_DURATION === 5000 ? [] : [`PAYMENT_DURATION=${c.PAYMENT_DURATION}ms (needs 5s)`]),
    ...(c.ADMISSION_MAX_TASK_AGE === taskAgeMs ? [] : [`ADMISSION_MAX_TASK_AGE=${c.ADMISSION_MAX_TASK_AGE}ms (needs ${taskAgeMs}ms)`]),
  ],
});

type Phase = { accepted: number; refused: number; failed: number; oldestPendingS: number[]; drainedS: number | undefined; firstId: number };

async function phase(stack: StackClients, productId: number, rate: number, seconds: number, drainS: number): Promise<Phase> {
  const [{ max }] = (await stack.db.query<{ max: number | null }>('select max(id) as max from orders')).rows as [{ max: number | null }];
  const firstId = (max ?? 0) + 1;
  const result: Phase = { accepted: 0, refused: 0, failed: 0, oldestPendingS: [], drainedS: undefined, firstId };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await stack.db.query<{ age: number | null }>(
        `select extract(epoch from now() - min(created_at))::float8 as age from orders where status = 'Pending' and id >= $1`,
        [firstId],
      );
      result.oldestPendingS.push(rows[0]?.age ?? 0);
      await sleep(1000);
    }
  })();
  const body = JSON.stringify({ items: [{ productId, quantity: 1 }] });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` };
  const inFlight = new Set<Promise<void>>();
  const t0 = performance.now();
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const p: Promise<void> = fetch(new URL('/api/order', stack.baseUrl), { method: 'PUT', headers, body })
      .then(async (res) => {
        await res.body?.cancel();
        if (res.status === 201) result.accepted++;
        else if (res.status === 503) result.refused++;
        else result.failed++;
      })
      .catch(() => void result.failed++)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  const loadEnd = Date.now();
  const deadline = loadEnd + drainS * 1000;
  for (;;) {
    const { rows } = await stack.db.query<{ n: number }>(
      `select count(*)::int as n from orders where id >= $1 and status in ('Pending', 'Processing')`,
      [firstId],
    );
    if (rows[0]!.n === 0) {
      result.drainedS = (Date.now() - loadEnd) / 1000;
      break;
    }
    if (Date.now() > deadline) break;
    await sleep(1000);
  }
  sampling = false;
  await sampler;
  return result;
}

async function run(ctx: SuiteContext, settings: ReturnType<typeof readSettings>): Promise<void> {
  const { OVERLOAD_RATE: rate, OVERLOAD_S: seconds, OVERLOAD_DRAIN_S: drainS } = settings;
  const results: Record<'on' | 'off', Phase> = {} as never;
  for (const mode of ['on', 'off'] as const) {
    const stack = await ctx.stack(mode === 'on' ? needs(LIMITS, 10_000) : needs(OFF, 0));
    const backlog = await quiesce(stack.db);
    if (backlog) ctx.note(backlog);
    const productId = await benchProduct(stack, `overload-${mode}`);
    progress(`admission ${mode}: ${Math.round(rate * seconds)} orders offered at ${rate}/s for ${seconds} s, then drain`);
    results[mode] = await phase(stack, productId, rate, seconds, drainS);
  }
  const { on, off } = results;
  const age = (p: Phase) => distribution(p.oldestPendingS);
  const baselineIs = 'admission off, same run';
  ctx.row({ figure: 'oldest Pending order age, max', unit: 's', value: age(on).max, baseline: age(off).max, baselineIs });
  ctx.row({ figure: 'oldest Pending order age, p50 of 1-s samples', unit: 's', value: age(on).p50, baseline: age(off).p50, baselineIs });
  ctx.row({ figure: 'orders accepted (201)', unit: 'orders', value: on.accepted, baseline: off.accepted, baselineIs });
  ctx.row({ figure: 'orders refused (503 + Retry-After)', unit: 'orders', value: on.refused, baseline: off.refused, baselineIs });
  ctx.row({
    figure: 'drain after the load: accepted orders all final in',
    unit: 's',
    value: on.drainedS ?? Number.NaN,
    baseline: off.drainedS ?? Number.NaN,
    baselineIs,
    note: 'NaN: not drained within OVERLOAD_DRAIN_S',
  });
  ctx.note(
    `limits with admission on: ${Object.entries(LIMITS)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}; other answers: on ${on.failed}, off ${off.failed}`,
  );
}

export const overloadSuite: Suite = {
  name: 'overload',
  long: true,
  summary: 'orders offered above capacity with admission control on and off: oldest Pending age, 503s, drain time',
  settings: readSettings,
  run: (ctx) => run(ctx, readSettings()),
};

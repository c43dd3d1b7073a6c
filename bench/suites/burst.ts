// burst: BURST_ORDERS orders at once over HTTP; how long until none is Pending (every saga has started and run
// markProcessing) and until all are Completed, against the same burst started directly by a Temporal client
// (bench/direct.ts). Same stack settings as the pipeline suite.
import { numberSetting, progress } from '../bench.lib.ts';
import { DirectPath } from '../direct.ts';
import { benchProduct, count, diagnose, placeOrders, quiesce, waitForStatuses, type Counts } from '../saga.ts';
import type { Suite, SuiteContext } from '../suite.ts';
import { cpuMeter, stackPids } from '../stack.ts';
import { cpuRows, instantPayment, probe } from './pipeline.ts';

function readSettings() {
  return {
    BURST_ORDERS: numberSetting('BURST_ORDERS', 2000),
    BURST_CONCURRENCY: numberSetting('BURST_CONCURRENCY', 64),
    BURST_DEADLINE_S: numberSetting('BURST_DEADLINE_S', 900),
  };
}

const noneLeft =
  (n: number, ...statuses: string[]) =>
  (c: Counts) =>
    c.size > 0 && [...c.values()].reduce((s, v) => s + v, 0) === n && count(c, ...statuses) === 0;

async function run(ctx: SuiteContext, settings: ReturnType<typeof readSettings>): Promise<void> {
  const { BURST_ORDERS: n, BURST_CONCURRENCY: concurrency } = settings;
  const stack = await ctx.stack(instantPayment);
  const backlog = await quiesce(stack.db);
  if (backlog) ctx.note(backlog);
  const productId = await benchProduct(stack, 'burst');
  const direct = await DirectPath.open(stack.config);
  try {
    await probe(stack, productId);
    const deadlineOf = (t0: number) => t0 + settings.BURST_DEADLINE_S * 1000;

    progress(`stack: ${n} orders over HTTP, ${concurrency} at a time`);
    const stackCpu = cpuMeter(stackPids());
    const t0 = Date.now();
    const ids = await placeOrders(stack, productId, n, concurrency);
    const placedMs = Date.now() - t0;
    const pending = await waitForStatuses(stack.db, ids, noneLeft(n, 'Pending'), { deadline: deadlineOf(t0), label: 'none Pending' });
    const completed = await waitForStatuses(stack.db, ids, noneLeft(n, 'Pending', 'Processing'), {
      deadline: deadlineOf(t0),
      label: 'all Completed',
    });
    const stackCpuUse = stackCpu();
    if (pending.at === undefined || completed.at === undefined) {
      throw new Error(`not done within ${settings.BURST_DEADLINE_S} s: ${(await diagnose(stack, ids)).join('; ')}`);
    }

    const quiet = await quiesce(stack.db);
    if (quiet) ctx.note(`before the direct run: ${quiet}`);
    progress(`direct: ${n} orders inserted with SQL, their workflows started by a Temporal client, ${concurrency} at a time`);
    const directCpu = cpuMeter(stackPids());
    const result = await direct.withWorker(async () => {
      const d0 = Date.now();
      const refs = await direct.insertOrders(stack, productId, n);
      const insertedMs = Date.now() - d0;
      const directIds = refs.map((r) => r.orderId);
      const starting = direct.start(refs, concurrency);
      const dPending = await waitForStatuses(stack.db, directIds, noneLeft(n, 'Pending'), {
        deadline: deadlineOf(d0),
        label: 'none Pending (direct)',
      });
      await starting;
      const dCompleted = await waitForStatuses(stack.db, directIds, noneLeft(n, 'Pending', 'Processing'), {
        deadline: deadlineOf(d0),
        label: 'all Completed (direct)',
      });
      return { d0, insertedMs, dPending, dCompleted };
    });
    const directCpuUse = directCpu();
    if (result.dPending.at === undefined || result.dCompleted.at === undefined) {
      throw new Error(`direct run not done within ${settings.BURST_DEADLINE_S} s`);
    }

    const s = (ms: number) => ms / 1000;
    const baselineIs = 'direct: SQL insert + Temporal client, in-process worker';
    ctx.row({
      figure: `time until none Pending (${n} orders)`,
      unit: 's',
      value: s(pending.at - t0),
      baseline: s(result.dPending.at - result.d0),
      baselineIs,
    });
    ctx.row({
      figure: 'time until all Completed',
      unit: 's',
      value: s(completed.at - t0),
      baseline: s(result.dCompleted.at - result.d0),
      baselineIs,
    });
    ctx.row({
      figure: 'orders created (HTTP vs one SQL insert)',
      unit: 's',
      value: s(placedMs),
      baseline: s(result.insertedMs),
      baselineIs: 'one multi-row SQL insert',
    });
    ctx.row({
      figure: 'none Pending after the last order was created',
      unit: 's',
      value: s(pending.at - t0 - placedMs),
      baseline: s(result.dPending.at - result.d0 - result.insertedMs),
      baselineIs,
    });
    cpuRows(ctx, n, stackCpuUse, directCpuUse);
    ctx.note(`clocks start at the first HTTP request (stack) or the SQL insert (direct); statuses polled every 100 ms`);
    ctx.note(`stack after the burst: ${JSON.stringify(Object.fromEntries(completed.counts))}`);
  } finally {
    await direct.close();
  }
}

export const burstSuite: Suite = {
  name: 'burst',
  long: false,
  summary: `BURST_ORDERS orders at once: time until none is Pending, vs the same burst started by a Temporal client`,
  settings: readSettings,
  run: (ctx) => run(ctx, readSettings()),
};

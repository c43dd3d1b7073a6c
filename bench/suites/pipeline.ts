// pipeline: orders/s from HTTP to Completed through the whole stack (API → outbox → relay → Kafka → bridge → Temporal
// → worker), against the same workflow started directly by a Temporal client on the same server (bench/direct.ts).
// Needs the stack with PAYMENT_DURATION=0 PAYMENT_SUCCESS_RATE=1, so the figure is the pipeline, not the payment.
import { distribution, numberSetting, progress } from '../bench.lib.ts';
import { DirectPath } from '../direct.ts';
import {
  benchProduct,
  count,
  diagnose,
  lastUpdate,
  orderTimes,
  placeOrders,
  quiesce,
  spread,
  waitForStatuses,
  workflowStartLags,
  type StackClients,
} from '../saga.ts';
import { cpuMeter, stackPids, type CpuUse, type StackNeeds } from '../stack.ts';
import type { Suite, SuiteContext } from '../suite.ts';

/** pipeline and burst: payment out of the way, every order completes. */
export const instantPayment: StackNeeds = {
  env: { PAYMENT_DURATION: '0', PAYMENT_SUCCESS_RATE: '1' },
  check: (c) => [
    ...(c.PAYMENT_DURATION === 0 ? [] : [`PAYMENT_DURATION=${c.PAYMENT_DURATION}ms (needs 0)`]),
    ...(c.PAYMENT_SUCCESS_RATE === 1 ? [] : [`PAYMENT_SUCCESS_RATE=${c.PAYMENT_SUCCESS_RATE} (needs 1)`]),
  ],
};

/** Places one order and waits for it to complete: warms the path and catches a stack that runs with other settings. */
export async function probe(
  stack: StackClients,
  productId: number,
  timeoutS = 30,
): Promise<{ commitToCompletedMs: number; startLagMs: number }> {
  const [id] = await placeOrders(stack, productId, 1, 1);
  const ids = [id as number];
  const { at } = await waitForStatuses(stack.db, ids, (c) => count(c, 'Completed') === 1, {
    deadline: Date.now() + timeoutS * 1000,
    label: 'the probe order',
    intervalMs: 20,
  });
  if (at === undefined) {
    throw new Error(`probe order ${id} not Completed within ${timeoutS} s (${(await diagnose(stack, ids)).join('; ')})`);
  }
  const [times] = await orderTimes(stack.db, ids);
  const [startLag] = await workflowStartLags(stack, [{ id: times!.id, createdAt: times!.createdAt }]);
  return { commitToCompletedMs: times!.updatedAt - times!.createdAt, startLagMs: startLag ?? Number.NaN };
}

/** CPU per order of the stack's processes and of this benchmark, stack side vs direct side, as rows and a note. */
export function cpuRows(ctx: SuiteContext, n: number, stack: CpuUse, direct: CpuUse): void {
  const perOrder = (use: CpuUse, name?: string) =>
    ((name ? (use.seconds[name] ?? Number.NaN) : Object.values(use.seconds).reduce((s, v) => s + v, 0)) * 1000) / n;
  const baselineIs = 'direct path (the bench process runs its worker)';
  if (stack.seconds.temporal !== undefined) {
    ctx.row({
      figure: 'CPU per order: Temporal server',
      unit: 'ms',
      value: perOrder(stack, 'temporal'),
      baseline: perOrder(direct, 'temporal'),
      baselineIs,
    });
  }
  const names = Object.keys(stack.seconds).join(' + ');
  ctx.row({ figure: `CPU per order: ${names}`, unit: 'ms', value: perOrder(stack), baseline: perOrder(direct), baselineIs });
  const detail = (use: CpuUse) =>
    `${Object.entries(use.seconds)
      .map(([k, v]) => `${k} ${((v * 1000) / n).toFixed(1)}`)
      .join(', ')} ms/order; machine ${(use.machineBusy * 100).toFixed(0)} % busy`;
  ctx.note(`CPU, stack run: ${detail(stack)}`);
  if (stack.appThreads) {
    const threads = Object.entries(stack.appThreads)
      .sort((a, b) => b[1] - a[1])
      .map(([group, s]) => `${group} ${((s * 1000) / n).toFixed(1)}`)
      .join(', ');
    ctx.note(`CPU, stack run, app by thread: ${threads} ms/order`);
  }
  ctx.note(`CPU, direct run: ${detail(direct)} (PostgreSQL not counted)`);
}

function readSettings() {
  return {
    PIPELINE_ORDERS: numberSetting('PIPELINE_ORDERS', 500),
    PIPELINE_CONCURRENCY: numberSetting('PIPELINE_CONCURRENCY', 16),
    PIPELINE_DEADLINE_S: numberSetting('PIPELINE_DEADLINE_S', 300),
  };
}

async function run(ctx: SuiteContext, settings: ReturnType<typeof readSettings>): Promise<void> {
  const { PIPELINE_ORDERS: n, PIPELINE_CONCURRENCY: concurrency } = settings;
  const stack = await ctx.stack(instantPayment);
  const backlog = await quiesce(stack.db);
  if (backlog) ctx.note(backlog);
  const productId = await benchProduct(stack, 'pipeline');
  const direct = await DirectPath.open(stack.config);
  try {
    const idle = await probe(stack, productId);
    progress(`probe order Completed ${idle.commitToCompletedMs} ms after its commit`);

    // The stack: HTTP → … → Completed.
    progress(`stack: placing ${n} orders over HTTP, ${concurrency} at a time, until all are Completed`);
    const stackCpu = cpuMeter(stackPids());
    const t0 = Date.now();
    const ids = await placeOrders(stack, productId, n, concurrency);
    const placedS = (Date.now() - t0) / 1000;
    const done = await waitForStatuses(stack.db, ids, (c) => count(c, 'Completed', 'Cancelled', 'Expired') === n, {
      deadline: t0 + settings.PIPELINE_DEADLINE_S * 1000,
      label: 'Completed',
      intervalMs: 200,
    });
    if (done.at === undefined || count(done.counts, 'Completed') < n) {
      throw new Error(`only ${count(done.counts, 'Completed')} of ${n} orders Completed: ${(await diagnose(stack, ids)).join('; ')}`);
    }
    const stackCpuUse = stackCpu();
    const stackWallS = ((await lastUpdate(stack.db, ids, 'Completed')) - t0) / 1000;
    const times = await orderTimes(stack.db, ids);
    const endToEnd = distribution(times.map((t) => t.updatedAt - t.createdAt));
    const startLags = distribution(
      await workflowStartLags(
        stack,
        spread(times, 200).map((t) => ({ id: t.id, createdAt: t.createdAt })),
      ),
    );

    // The baseline: same workflow, started by a client, same server.
    const quiet = await quiesce(stack.db);
    if (quiet) ctx.note(`before the direct run: ${quiet}`);
    progress(`direct: inserting ${n} orders with SQL, starting their workflows with a Temporal client, ${concurrency} at a time`);
    const refs = await direct.insertOrders(stack, productId, n);
    const directIds = refs.map((r) => r.orderId);
    const directCpu = cpuMeter(stackPids());
    const { d0, directDone } = await direct.withWorker(async () => {
      const d0 = Date.now();
      await direct.start(refs, concurrency);
      const directDone = await waitForStatuses(stack.db, directIds, (c) => count(c, 'Completed', 'Cancelled', 'Expired') === n, {
        deadline: d0 + settings.PIPELINE_DEADLINE_S * 1000,
        label: 'Completed (direct)',
        intervalMs: 200,
      });
      return { d0, directDone };
    });
    const directCpuUse = directCpu();
    if (directDone.at === undefined || count(directDone.counts, 'Completed') < n) {
      throw new Error(`direct run: only ${count(directDone.counts, 'Completed')} of ${n} orders Completed`);
    }
    const directWallS = ((await lastUpdate(stack.db, directIds, 'Completed')) - d0) / 1000;

    const stackRate = n / stackWallS;
    const directRate = n / directWallS;
    const ratio = stackRate / directRate;
    const baselineIs = 'direct: Temporal client + in-process worker, no API/outbox/Kafka';
    ctx.row({
      figure: `throughput, first request → last Completed (${n} orders)`,
      unit: 'orders/s',
      value: stackRate,
      baseline: directRate,
      baselineIs,
      note: `target ≥ 0.80× ${ratio >= 0.8 ? 'met' : 'MISSED'}`,
    });
    ctx.row({ figure: 'wall time', unit: 's', value: stackWallS, baseline: directWallS, baselineIs });
    ctx.row({
      figure: 'Completed − commit p50',
      unit: 'ms',
      value: endToEnd.p50,
      baseline: idle.commitToCompletedMs,
      baselineIs: 'probe order, idle',
    });
    ctx.row({
      figure: 'Completed − commit p99',
      unit: 'ms',
      value: endToEnd.p99,
      baseline: idle.commitToCompletedMs,
      baselineIs: 'probe order, idle',
    });
    ctx.row({
      figure: 'workflow start − commit p50',
      unit: 'ms',
      value: startLags.p50,
      baseline: idle.startLagMs,
      baselineIs: 'probe order, idle',
    });
    ctx.row({
      figure: 'workflow start − commit p99',
      unit: 'ms',
      value: startLags.p99,
      baseline: idle.startLagMs,
      baselineIs: 'probe order, idle',
    });
    cpuRows(ctx, n, stackCpuUse, directCpuUse);
    ctx.note(`the stack placed its ${n} orders over HTTP in ${placedS.toFixed(2)} s; its throughput clock starts at the first request`);
    ctx.note(`workflow start − commit sampled on ${startLags.n} orders (Temporal startTime − orders.created_at)`);
    ctx.result.details = { stackWallS, directWallS, placedS, endToEnd, startLags, idle, cpu: { stack: stackCpuUse, direct: directCpuUse } };
    if (ratio < 0.8) ctx.note(`the stack reaches ${(ratio * 100).toFixed(0)} % of the direct path's rate (target ≥ 80 %)`);
  } finally {
    await direct.close();
  }
}

export const pipelineSuite: Suite = {
  name: 'pipeline',
  long: false,
  summary: 'orders/s HTTP → Completed through the stack vs the same workflow started by a Temporal client',
  settings: readSettings,
  run: (ctx) => run(ctx, readSettings()),
};

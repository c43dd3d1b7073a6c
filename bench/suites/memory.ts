// memory: MEMORY_ORDERS orders whose payment was declined, each saga waiting on its expiry timer, and the resident
// memory (VmRSS from /proc/<pid>/status) of the worker process and of the Temporal dev server then, against the same
// processes idle just before. Needs the stack with PAYMENT_SUCCESS_RATE=0, a payment that takes no time and an
// ORDER_EXPIRY long enough that nothing expires meanwhile. Afterwards the orders are cancelled (MEMORY_CLEANUP=cancel,
// the default) so no burst of expiries fires later.
import { call, choiceSetting, HttpError, mapLimit, median, numberSetting, progress, sleep, stringSetting } from '../bench.lib.ts';
import ms from 'ms';
import { getStateQuery, orderWorkflowId } from '../../workflows/order.definitions.ts';
import { benchProduct, count, placeOrders, quiesce, spread, waitForStatuses, type StackClients } from '../saga.ts';
import {
  APP_PGREP,
  APP_PID_FILE,
  findPid,
  memoryOf,
  startOwnProcess,
  TEMPORAL_PGREP,
  TEMPORAL_PID_FILE,
  type Memory,
  type OwnProcess,
  type StackNeeds,
} from '../stack.ts';
import { SkipError, type Suite, type SuiteContext } from '../suite.ts';

const MIN_EXPIRY_MS = 30 * 60 * 1000;

function readSettings() {
  const expiry = stringSetting('MEMORY_EXPIRY', '2h');
  if (!(ms(expiry as ms.StringValue) >= MIN_EXPIRY_MS))
    throw new Error(`MEMORY_EXPIRY must be a duration of at least 30m, got "${expiry}"`);
  return {
    MEMORY_ORDERS: numberSetting('MEMORY_ORDERS', 10_000),
    MEMORY_CONCURRENCY: numberSetting('MEMORY_CONCURRENCY', 32),
    MEMORY_EXPIRY: expiry,
    MEMORY_SETTLE_S: numberSetting('MEMORY_SETTLE_S', 10),
    MEMORY_DEADLINE_S: numberSetting('MEMORY_DEADLINE_S', 3600),
    MEMORY_CLEANUP: choiceSetting('MEMORY_CLEANUP', ['cancel', 'keep'], 'cancel'),
    MEMORY_WORKER: choiceSetting('MEMORY_WORKER', ['own', 'app'], 'own'),
    MEMORY_WORKER_PORT: numberSetting('MEMORY_WORKER_PORT', 9465),
  };
}

/** The app's roles when the worker runs as a process of its own (MEMORY_WORKER=own). */
const ALL_BUT_WORKER = 'api,relay,bridge,notifier';

const declinedAndWaiting = (expiry: string, worker: 'own' | 'app'): StackNeeds => ({
  env: {
    PAYMENT_DURATION: '0',
    PAYMENT_SUCCESS_RATE: '0',
    ORDER_EXPIRY: expiry,
    ...(worker === 'own' ? { APP_ROLES: ALL_BUT_WORKER } : {}),
  },
  check: (c) => [
    ...(c.PAYMENT_SUCCESS_RATE === 0 ? [] : [`PAYMENT_SUCCESS_RATE=${c.PAYMENT_SUCCESS_RATE} (needs 0)`]),
    ...(c.PAYMENT_DURATION <= 1000 ? [] : [`PAYMENT_DURATION=${c.PAYMENT_DURATION}ms (needs ≤ 1s)`]),
    ...(c.ORDER_EXPIRY >= MIN_EXPIRY_MS ? [] : [`ORDER_EXPIRY=${c.ORDER_EXPIRY}ms (needs ≥ 30m)`]),
  ],
});

/** Median of three samples a second apart, per process. */
async function sampleMemory(pids: { worker: number; temporal: number }): Promise<{ worker: Memory; temporal: Memory }> {
  const samples: Array<{ worker: Memory; temporal: Memory }> = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(1000);
    samples.push({ worker: memoryOf(pids.worker), temporal: memoryOf(pids.temporal) });
  }
  const med = (p: 'worker' | 'temporal'): Memory => ({
    rssMiB: median(samples.map((s) => s[p].rssMiB)),
    hwmMiB: Math.max(...samples.map((s) => s[p].hwmMiB)),
  });
  return { worker: med('worker'), temporal: med('temporal') };
}

/** Waits until the workflows of `ids` (a sample) all report phase awaiting-payment. */
async function awaitingPayment(stack: StackClients, ids: number[], deadline: number): Promise<boolean> {
  for (;;) {
    const phases = await mapLimit(ids, 16, async (id) => {
      try {
        const handle = stack.temporal.workflow.getHandle(orderWorkflowId(stack.config.TEMPORAL_WORKFLOW_ID_PREFIX, id));
        return (await handle.query(getStateQuery)).phase;
      } catch {
        return 'unknown';
      }
    });
    if (phases.every((p) => p === 'awaiting-payment')) return true;
    if (Date.now() > deadline) return false;
    await sleep(1000);
  }
}

async function cancelAll(stack: StackClients, ids: number[], concurrency: number): Promise<{ cancelled: number; seconds: number }> {
  const t0 = Date.now();
  let cancelled = 0;
  await mapLimit(ids, concurrency, async (id, i) => {
    try {
      await call(stack.baseUrl, { method: 'POST', path: `/api/order/${id}/cancel`, token: stack.token });
      cancelled++;
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 409)) throw err;
    }
    if (i > 0 && i % 2000 === 0) progress(`  cancelled ${i}/${ids.length}`);
  });
  return { cancelled, seconds: (Date.now() - t0) / 1000 };
}

async function run(ctx: SuiteContext, settings: ReturnType<typeof readSettings>): Promise<void> {
  const stack = await ctx.stack(declinedAndWaiting(settings.MEMORY_EXPIRY, settings.MEMORY_WORKER));
  const worker = settings.MEMORY_WORKER === 'own' ? await startWorker(stack, settings.MEMORY_WORKER_PORT) : undefined;
  try {
    await measure(ctx, settings, stack, worker?.pid);
  } finally {
    await worker?.stop();
  }
}

/**
 * The worker role as a process of its own (`node src/main.ts worker`) with the app's environment, while the app runs
 * every other role: its RSS is the worker's alone.
 */
async function startWorker(stack: StackClients, port: number): Promise<OwnProcess> {
  if (!stack.appEnv) throw new SkipError('MEMORY_WORKER=own needs the app started by stack.sh up (BENCH_APP=manage), or MEMORY_WORKER=app');
  progress(`starting the worker as its own process (metrics on :${port}); the app runs ${ALL_BUT_WORKER}`);
  return startOwnProcess('worker', port, { ...stack.appEnv, METRICS_PORT: String(port) }, 'memory-worker', '/metrics');
}

async function measure(
  ctx: SuiteContext,
  settings: ReturnType<typeof readSettings>,
  stack: StackClients,
  ownWorkerPid: number | undefined,
): Promise<void> {
  const { MEMORY_ORDERS: n, MEMORY_CONCURRENCY: concurrency } = settings;
  const backlog = await quiesce(stack.db);
  if (backlog) ctx.note(backlog);
  const pids = {
    worker: ownWorkerPid ?? findPid('worker', APP_PID_FILE, APP_PGREP),
    temporal: findPid('Temporal server', TEMPORAL_PID_FILE, TEMPORAL_PGREP),
  };
  ctx.note(
    ownWorkerPid
      ? `worker pid ${pids.worker} (node src/main.ts worker, nothing else), Temporal server pid ${pids.temporal}`
      : `worker pid ${pids.worker} (the app process: with role all it also hosts api, relay, bridge, notifier), Temporal server pid ${pids.temporal}`,
  );
  const productId = await benchProduct(stack, 'memory');
  const deadline = Date.now() + settings.MEMORY_DEADLINE_S * 1000;
  const ids: number[] = [];
  try {
    // Warm the path with one order, then the idle baseline.
    ids.push(...(await placeOrders(stack, productId, 1, 1)));
    if (!(await awaitingPayment(stack, ids, Date.now() + 60_000))) throw new Error(`probe order ${ids[0]} never reached awaiting-payment`);
    await sleep(settings.MEMORY_SETTLE_S * 1000);
    const idle = await sampleMemory(pids);
    progress(`idle: worker ${idle.worker.rssMiB.toFixed(0)} MiB, Temporal ${idle.temporal.rssMiB.toFixed(0)} MiB`);

    progress(`placing ${n} orders, ${concurrency} at a time`);
    const t0 = Date.now();
    ids.push(...(await placeOrders(stack, productId, n, concurrency)));
    const placedS = (Date.now() - t0) / 1000;
    progress(`placed in ${placedS.toFixed(1)} s; waiting until every saga waits for payment`);
    const left = await waitForStatuses(stack.db, ids, (c) => count(c, 'Pending') === 0, {
      deadline,
      label: 'none Pending',
      intervalMs: 1000,
    });
    if (left.at === undefined) throw new Error(`orders still Pending after ${settings.MEMORY_DEADLINE_S} s`);
    if (count(left.counts, 'Processing') !== ids.length)
      throw new Error(`expected every order Processing: ${JSON.stringify(Object.fromEntries(left.counts))}`);
    if (!(await awaitingPayment(stack, spread(ids.slice(-500), 50), deadline))) throw new Error('workflows did not reach awaiting-payment');
    const readyS = (Date.now() - t0) / 1000;
    await sleep(settings.MEMORY_SETTLE_S * 1000);
    const loaded = await sampleMemory(pids);

    const waiting = ids.length;
    const idleIs = 'same process idle (1 waiting order), just before';
    ctx.row({
      figure: `worker process RSS, ${waiting} sagas waiting`,
      unit: 'MiB',
      value: loaded.worker.rssMiB,
      baseline: idle.worker.rssMiB,
      baselineIs: idleIs,
    });
    ctx.row({
      figure: 'worker process peak RSS (VmHWM)',
      unit: 'MiB',
      value: loaded.worker.hwmMiB,
      baseline: idle.worker.hwmMiB,
      baselineIs: idleIs,
    });
    ctx.row({
      figure: `Temporal server RSS, ${waiting} sagas waiting`,
      unit: 'MiB',
      value: loaded.temporal.rssMiB,
      baseline: idle.temporal.rssMiB,
      baselineIs: idleIs,
    });
    ctx.row({
      figure: 'Temporal server peak RSS (VmHWM)',
      unit: 'MiB',
      value: loaded.temporal.hwmMiB,
      baseline: idle.temporal.hwmMiB,
      baselineIs: idleIs,
    });
    const perSaga = (m: 'worker' | 'temporal') => ((loaded[m].rssMiB - idle[m].rssMiB) * 1024) / waiting;
    ctx.note(
      `RSS growth per waiting saga: worker ${perSaga('worker').toFixed(1)} KiB, Temporal server ${perSaga('temporal').toFixed(1)} KiB`,
    );
    ctx.note(
      `placed ${n} orders in ${placedS.toFixed(1)} s; all waiting for payment ${readyS.toFixed(1)} s after the first; sampled after ${settings.MEMORY_SETTLE_S} s more`,
    );
    ctx.note(
      'RSS is the median of 3 samples 1 s apart; the Temporal server is shared with anything else using it (e.g. a concurrent npm test)',
    );
    ctx.result.details = { idle, loaded, pids, placedS, readyS };
  } finally {
    if (settings.MEMORY_CLEANUP === 'cancel' && ids.length > 0) {
      progress(`cleanup: cancelling ${ids.length} orders over the API (MEMORY_CLEANUP=keep skips this)`);
      const { cancelled, seconds } = await cancelAll(stack, ids, concurrency);
      ctx.note(`cleanup: cancelled ${cancelled} orders in ${seconds.toFixed(1)} s (${(cancelled / seconds).toFixed(0)}/s)`);
    } else if (ids.length > 0) {
      ctx.note(`MEMORY_CLEANUP=keep: ${ids.length} orders stay waiting and expire after ORDER_EXPIRY`);
    }
  }
}

export const memorySuite: Suite = {
  name: 'memory',
  long: true,
  summary: 'RSS of the worker and the Temporal server with MEMORY_ORDERS sagas waiting on their expiry timer',
  settings: readSettings,
  run: (ctx) => run(ctx, readSettings()),
};

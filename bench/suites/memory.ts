// memory: MEMORY_ORDERS orders whose payment was declined, each saga waiting on its expiry timer, and the resident
// memory (VmRSS from /proc/<pid>/status) of the worker process and of the Temporal dev server then, against the same
// processes idle just before. Needs the stack with PAYMENT_SUCCESS_RATE=0, a payment that takes no time and an
// ORDER_EXPIRY long enough that nothing expires meanwhile. With the worker as a process of its own it also tells where
// that memory is (its main thread's V8 heap from its /metrics, anonymous and file-backed RSS from smaps_rollup), and
// what the sticky cache's bound costs: the time a pay takes for a saga evicted from the cache (replayed from its
// history) against one still cached. Afterwards the orders are cancelled (MEMORY_CLEANUP=cancel, the default) so no
// burst of expiries fires later.
import { readFileSync } from 'node:fs';
import {
  call,
  choiceSetting,
  HttpError,
  mapLimit,
  median,
  numberSetting,
  percentile,
  placeOrder,
  progress,
  sleep,
  stringSetting,
} from '../bench.lib.ts';
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
    MEMORY_PAY_PROBES: numberSetting('MEMORY_PAY_PROBES', 20),
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

/** Where a process's resident memory is: anonymous and file-backed pages, from /proc/<pid>/smaps_rollup (MiB). */
function residentKinds(pid: number): { anonMiB: number; fileMiB: number } {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? Number.NaN);
  return { anonMiB: kib('Anonymous') / 1024, fileMiB: (kib('Rss') - kib('Anonymous')) / 1024 };
}

type Breakdown = {
  anonMiB: number;
  fileMiB: number;
  heapTotalMiB?: number;
  heapUsedMiB?: number;
  externalMiB?: number;
  cachedWorkflows?: number;
};

/**
 * The worker's memory by kind: its RSS split into anonymous and file-backed pages, and from its /metrics the main
 * thread's V8 heap (the workflows run in a worker thread whose heap is part of the anonymous rest) and the number of
 * workflows in the sticky cache.
 */
async function breakdown(pid: number, metricsUrl: string | undefined): Promise<Breakdown> {
  const kinds = residentKinds(pid);
  if (!metricsUrl) return kinds;
  try {
    const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
    const value = (name: string) => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    };
    const mib = (v: number | undefined) => (v === undefined ? undefined : v / 2 ** 20);
    return {
      ...kinds,
      heapTotalMiB: mib(value('nodejs_heap_size_total_bytes')),
      heapUsedMiB: mib(value('nodejs_heap_size_used_bytes')),
      externalMiB: mib(value('nodejs_external_memory_bytes')),
      cachedWorkflows: value('temporal_sticky_cache_size'),
    };
  } catch {
    return kinds;
  }
}

const describe = (b: Breakdown): string =>
  [
    `anonymous ${b.anonMiB.toFixed(0)} MiB, file-backed ${b.fileMiB.toFixed(0)} MiB`,
    b.heapTotalMiB === undefined
      ? undefined
      : `main-thread V8 heap ${b.heapTotalMiB.toFixed(0)} MiB (${b.heapUsedMiB?.toFixed(0)} used), external ${b.externalMiB?.toFixed(0)} MiB`,
    b.cachedWorkflows === undefined ? undefined : `${b.cachedWorkflows} workflows in the sticky cache`,
  ]
    .filter(Boolean)
    .join('; ');

/**
 * Pays `ids` one at a time over the API and returns, sorted, the time (ms) from each `POST /api/order/{id}/pay` until
 * the order is Completed: the answer itself when it is 200, else (202) the first `GET /api/order/{id}` that says so.
 */
async function payTimes(stack: StackClients, ids: number[]): Promise<number[]> {
  const times: number[] = [];
  for (const id of ids) {
    const t0 = performance.now();
    let order = await call<{ status: string }>(stack.baseUrl, { method: 'POST', path: `/api/order/${id}/pay`, token: stack.token });
    while (order.status !== 'Completed') {
      if (performance.now() - t0 > 60_000) throw new Error(`order ${id} not Completed 60 s after its pay (${order.status})`);
      await sleep(20);
      order = await call<{ status: string }>(stack.baseUrl, { method: 'GET', path: `/api/order/${id}`, token: stack.token });
    }
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

/**
 * Places `n` orders, `concurrency` at a time, adding each id to `ids` as soon as it is placed (so the cleanup finds
 * every placed order even if placing fails midway). An order refused by admission control (503, the saga is behind)
 * is sent again after a pause, as a client would: the worker then has a bounded backlog. Returns the refusals.
 */
async function placeAll(stack: StackClients, productId: number, n: number, concurrency: number, ids: number[]): Promise<number> {
  let refused = 0;
  let placed = 0;
  await mapLimit(Array.from({ length: n }), concurrency, async () => {
    for (;;) {
      try {
        ids.push(await placeOrder(stack.baseUrl, stack.token, productId));
        break;
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 503)) throw err;
        refused++;
        await sleep(2000);
      }
    }
    if (++placed % 1000 === 0 && placed < n) progress(`  ${placed}/${n} orders placed`);
  });
  return refused;
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
    await measure(ctx, settings, stack, worker?.pid, worker && `http://127.0.0.1:${settings.MEMORY_WORKER_PORT}/metrics`);
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
  workerMetricsUrl: string | undefined,
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
    const idleKinds = await breakdown(pids.worker, workerMetricsUrl);
    progress(`idle: worker ${idle.worker.rssMiB.toFixed(0)} MiB, Temporal ${idle.temporal.rssMiB.toFixed(0)} MiB`);

    progress(`placing ${n} orders, ${concurrency} at a time`);
    const t0 = Date.now();
    const refused = await placeAll(stack, productId, n, concurrency, ids);
    const placedS = (Date.now() - t0) / 1000;
    if (refused > 0) ctx.note(`admission control refused ${refused} placements (503); each was sent again after 2 s`);
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
    const loadedKinds = await breakdown(pids.worker, workerMetricsUrl);
    progress(`${ids.length} waiting: worker ${loaded.worker.rssMiB.toFixed(0)} MiB, Temporal ${loaded.temporal.rssMiB.toFixed(0)} MiB`);

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
    ctx.note(`worker idle: ${describe(idleKinds)}`);
    ctx.note(`worker with ${waiting} waiting: ${describe(loadedKinds)}`);
    ctx.note(
      'RSS is the median of 3 samples 1 s apart; the Temporal server is shared with anything else using it (e.g. a concurrent npm test)',
    );
    // The sticky cache keeps the sagas that ran last; the first ones placed were evicted long ago. Paying one of those
    // replays its history first. Paid orders end Completed (the cleanup's cancel then answers 409, which it skips).
    const probes = Math.min(settings.MEMORY_PAY_PROBES, Math.floor((ids.length - 1) / 2));
    let pay: { evicted: number[]; cached: number[] } | undefined;
    if (probes > 0) {
      progress(`paying ${probes} sagas evicted from the sticky cache and ${probes} cached ones, one at a time`);
      let evicted: number[], cached: number[];
      try {
        evicted = await payTimes(stack, ids.slice(1, 1 + probes));
        cached = await payTimes(stack, ids.slice(-probes));
      } catch (err) {
        // The memory figures stand without the pay figures.
        ctx.note(`pay probes failed: ${String(err)}`);
        ctx.result.details = { idle, loaded, idleKinds, loadedKinds, pids, placedS, readyS };
        return;
      }
      pay = { evicted, cached };
      const cachedIs = 'the same request to a saga still in the sticky cache (among the last placed)';
      for (const p of [50, 99] as const) {
        ctx.row({
          figure: `POST /pay to a waiting saga evicted from the sticky cache, p${p}`,
          unit: 'ms',
          value: percentile(evicted, p),
          baseline: percentile(cached, p),
          baselineIs: cachedIs,
        });
      }
      ctx.note(`pay: ${probes} evicted and ${probes} cached sagas, one request at a time, after the memory samples`);
    }
    ctx.result.details = { idle, loaded, idleKinds, loadedKinds, pids, placedS, readyS, pay };
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

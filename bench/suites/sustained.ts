// sustained: orders arrive at a fixed rate (open loop: each is sent at its scheduled time whether or not earlier ones
// were answered) for SUSTAINED_S against the stack with the default 5-s payment and PAYMENT_SUCCESS_RATE=1, so every
// order ends Completed and time-to-final is one distribution. Baseline: the same figures for a few orders placed one
// per second on the idle stack just before (SUSTAINED_IDLE_ORDERS).
//   time to Processing = orders.updated_at when first seen Processing − orders.created_at (the 5-s payment keeps an
//                        order in Processing for a while, so a 500-ms poll always sees that state)
//   time to Completed  = orders.updated_at of the Completed row − orders.created_at
//   outbox lag         = age of the oldest unsent outbox row, sampled every second
//   consumer lag       = bridge group's committed offsets vs the topic's high watermarks, sampled every second
//   workflow start     = Temporal describe().startTime − orders.created_at, on an evenly spread sample
import { distribution, numberSetting, placeOrder, progress, sleep, type Distribution } from '../bench.lib.ts';
import { benchProduct, ConsumerLag, diagnose, outboxBacklog, quiesce, spread, workflowStartLags, type StackClients } from '../saga.ts';
import type { StackNeeds } from '../stack.ts';
import type { Suite, SuiteContext } from '../suite.ts';

const PAYMENT_MS = 5000;

const defaultPayment: StackNeeds = {
  env: { PAYMENT_DURATION: '5s', PAYMENT_SUCCESS_RATE: '1' },
  check: (c) => [
    ...(c.PAYMENT_DURATION === PAYMENT_MS ? [] : [`PAYMENT_DURATION=${c.PAYMENT_DURATION}ms (needs the default 5s)`]),
    ...(c.PAYMENT_SUCCESS_RATE === 1 ? [] : [`PAYMENT_SUCCESS_RATE=${c.PAYMENT_SUCCESS_RATE} (needs 1)`]),
  ],
};

function readSettings() {
  return {
    SUSTAINED_RATE: numberSetting('SUSTAINED_RATE', 20, { integer: false }),
    SUSTAINED_S: numberSetting('SUSTAINED_S', 300),
    SUSTAINED_DRAIN_S: numberSetting('SUSTAINED_DRAIN_S', 120),
    SUSTAINED_IDLE_ORDERS: numberSetting('SUSTAINED_IDLE_ORDERS', 5),
    SUSTAINED_SAMPLES: numberSetting('SUSTAINED_SAMPLES', 300),
  };
}

type Tracked = { id: number; createdAt?: number; processingAt?: number; finalAt?: number; status?: string };

/** Follows orders in PostgreSQL until each is final, polling only the unfinished ones. */
class Tracker {
  readonly orders = new Map<number, Tracked>();
  private readonly stack: StackClients;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(stack: StackClients) {
    this.stack = stack;
  }

  add(id: number): void {
    this.orders.set(id, { id });
  }

  unfinished(): Tracked[] {
    return [...this.orders.values()].filter((o) => o.finalAt === undefined);
  }

  start(intervalMs = 500): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.poll();
        await sleep(intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async poll(): Promise<void> {
    const ids = this.unfinished().map((o) => o.id);
    if (ids.length === 0) return;
    const { rows } = await this.stack.db.query<{ id: number; status: string; created_at: Date; updated_at: Date }>(
      `select id, status, created_at, updated_at from orders where id = any($1::int[]) and status <> 'Pending'`,
      [ids],
    );
    for (const row of rows) {
      const order = this.orders.get(row.id)!;
      order.createdAt = row.created_at.getTime();
      order.status = row.status;
      if (row.status === 'Processing') order.processingAt ??= row.updated_at.getTime();
      else order.finalAt = row.updated_at.getTime();
    }
  }
}

/** Outbox and consumer lag, sampled every second while running. */
class LagSampler {
  readonly outboxMs: number[] = [];
  readonly consumer: number[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;

  start(stack: StackClients, lag: ConsumerLag): void {
    this.stopped = false;
    this.loop = (async () => {
      while (!this.stopped) {
        const [backlog, consumer] = await Promise.all([outboxBacklog(stack.db), lag.sample().catch(() => Number.NaN)]);
        this.outboxMs.push(backlog.oldestAgeMs);
        if (Number.isFinite(consumer)) this.consumer.push(consumer);
        await sleep(1000);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

type PhaseFigures = {
  http: Distribution;
  toProcessing: Distribution;
  toCompleted: Distribution;
  startLag: Distribution;
  outboxMs: Distribution;
  consumer: Distribution;
  missedProcessing: number;
  notFinal: number;
};

async function figures(stack: StackClients, tracker: Tracker, ids: number[], http: number[], sampler: LagSampler, samples: number) {
  const orders = ids.map((id) => tracker.orders.get(id)!);
  const toProcessing = orders.filter((o) => o.processingAt !== undefined).map((o) => o.processingAt! - o.createdAt!);
  const toCompleted = orders.filter((o) => o.status === 'Completed').map((o) => o.finalAt! - o.createdAt!);
  const started = orders.filter((o) => o.createdAt !== undefined);
  const startLag = await workflowStartLags(
    stack,
    spread(started, samples).map((o) => ({ id: o.id, createdAt: o.createdAt! })),
  );
  return {
    http: distribution(http),
    toProcessing: distribution(toProcessing),
    toCompleted: distribution(toCompleted),
    startLag: distribution(startLag),
    outboxMs: distribution(sampler.outboxMs),
    consumer: distribution(sampler.consumer),
    missedProcessing: orders.filter((o) => o.finalAt !== undefined && o.processingAt === undefined).length,
    notFinal: orders.filter((o) => o.finalAt === undefined).length,
  } satisfies PhaseFigures;
}

async function run(ctx: SuiteContext, settings: ReturnType<typeof readSettings>): Promise<void> {
  const { SUSTAINED_RATE: rate, SUSTAINED_S: seconds } = settings;
  const stack = await ctx.stack(defaultPayment);
  const backlog = await quiesce(stack.db);
  if (backlog) ctx.note(backlog);
  const productId = await benchProduct(stack, 'sustained');
  const lag = await ConsumerLag.connect(stack.config);
  const tracker = new Tracker(stack);
  tracker.start();
  try {
    const place = async (http: number[], ids: number[]) => {
      const t = performance.now();
      const id = await placeOrder(stack.baseUrl, stack.token, productId);
      http.push(performance.now() - t);
      ids.push(id);
      tracker.add(id);
    };
    const drain = async (ids: number[], deadline: number) => {
      while (ids.some((id) => tracker.orders.get(id)?.finalAt === undefined) && Date.now() < deadline) await sleep(500);
    };

    // Idle baseline: a few orders, one per second, on the quiet stack.
    progress(`idle baseline: ${settings.SUSTAINED_IDLE_ORDERS} orders, one per second`);
    const idleSampler = new LagSampler();
    idleSampler.start(stack, lag);
    const idleIds: number[] = [];
    const idleHttp: number[] = [];
    for (let i = 0; i < settings.SUSTAINED_IDLE_ORDERS; i++) {
      await place(idleHttp, idleIds);
      await sleep(1000);
    }
    await drain(idleIds, Date.now() + 60_000);
    await idleSampler.stop();
    const idle = await figures(stack, tracker, idleIds, idleHttp, idleSampler, settings.SUSTAINED_SAMPLES);

    // Load: open loop at a fixed rate.
    const total = Math.round(rate * seconds);
    progress(`load: ${total} orders at ${rate}/s for ${seconds} s (open loop), then up to ${settings.SUSTAINED_DRAIN_S} s to finish`);
    const sampler = new LagSampler();
    sampler.start(stack, lag);
    const ids: number[] = [];
    const http: number[] = [];
    const inFlight = new Set<Promise<void>>();
    let maxInFlight = 0;
    let failed = 0;
    let late = 0;
    const t0 = performance.now();
    const wallT0 = Date.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      else if (wait < -100) late++;
      const p: Promise<void> = place(http, ids)
        .catch(() => void failed++)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      maxInFlight = Math.max(maxInFlight, inFlight.size);
      if (i > 0 && i % Math.max(1, Math.round(rate * 30)) === 0) {
        const unfinished = tracker.unfinished().length;
        progress(`  ${i}/${total} sent, ${inFlight.size} requests in flight, ${unfinished} orders not final yet`);
      }
    }
    await Promise.all(inFlight);
    const sendS = (performance.now() - t0) / 1000;
    await drain(ids, Date.now() + settings.SUSTAINED_DRAIN_S * 1000);
    await sampler.stop();
    const load = await figures(stack, tracker, ids, http, sampler, settings.SUSTAINED_SAMPLES);

    const finals = ids.map((id) => tracker.orders.get(id)!.finalAt).filter((t): t is number => t !== undefined);
    const completedRate = finals.length > 1 ? (finals.length - 1) / ((Math.max(...finals) - Math.min(...finals)) / 1000) : Number.NaN;
    const idleIs = `idle: ${settings.SUSTAINED_IDLE_ORDERS} orders, one per second`;
    ctx.row({ figure: 'orders accepted/s (2xx)', unit: 'orders/s', value: ids.length / sendS, baseline: rate, baselineIs: 'offered rate' });
    ctx.row({ figure: 'orders Completed/s', unit: 'orders/s', value: completedRate, baseline: rate, baselineIs: 'offered rate' });
    const pair = (figure: string, unit: string, l: number, i: number) =>
      ctx.row({ figure, unit, value: l, baseline: i, baselineIs: idleIs });
    pair('PUT /api/order latency p50', 'ms', load.http.p50, idle.http.p50);
    pair('PUT /api/order latency p99', 'ms', load.http.p99, idle.http.p99);
    pair('time to Processing p50', 'ms', load.toProcessing.p50, idle.toProcessing.p50);
    pair('time to Processing p99', 'ms', load.toProcessing.p99, idle.toProcessing.p99);
    pair('time to Completed p50', 'ms', load.toCompleted.p50, idle.toCompleted.p50);
    pair('time to Completed p99', 'ms', load.toCompleted.p99, idle.toCompleted.p99);
    pair('workflow start − commit p50', 'ms', load.startLag.p50, idle.startLag.p50);
    pair('workflow start − commit p99', 'ms', load.startLag.p99, idle.startLag.p99);
    pair('outbox lag (oldest unsent) p50', 'ms', load.outboxMs.p50, idle.outboxMs.p50);
    pair('outbox lag (oldest unsent) max', 'ms', load.outboxMs.max, idle.outboxMs.max);
    pair('bridge consumer lag p50', 'msgs', load.consumer.p50, idle.consumer.p50);
    pair('bridge consumer lag max', 'msgs', load.consumer.max, idle.consumer.max);
    ctx.note(
      `sent ${total} orders in ${sendS.toFixed(1)} s: ${ids.length} accepted, ${failed} failed, ${late} sent > 100 ms late, ` +
        `at most ${maxInFlight} requests in flight`,
    );
    ctx.note(
      `every order is expected to end Completed (PAYMENT_SUCCESS_RATE=1); time to Completed includes the ${PAYMENT_MS / 1000}-s payment`,
    );
    ctx.note(
      `lags sampled every second (${load.outboxMs.n} outbox, ${load.consumer.n} consumer samples under load); group ${lag.group} on ${lag.topic}`,
    );
    if (load.missedProcessing > 0)
      ctx.note(`${load.missedProcessing} orders were never seen in Processing (left out of time to Processing)`);
    ctx.result.details = { idle, load, wallStart: new Date(wallT0).toISOString(), sendS };
    if (load.notFinal > 0) {
      const stuck = ids.filter((id) => tracker.orders.get(id)?.finalAt === undefined);
      throw new Error(
        `${load.notFinal} orders not final ${settings.SUSTAINED_DRAIN_S} s after the last was sent: ${(await diagnose(stack, stuck)).join('; ')}`,
      );
    }
  } finally {
    await tracker.stop();
    await lag.close();
  }
}

export const sustainedSuite: Suite = {
  name: 'sustained',
  long: true,
  summary: 'fixed arrival rate against the 5-s payment: latencies, outbox and consumer lag vs the idle stack',
  settings: readSettings,
  run: (ctx) => run(ctx, readSettings()),
};

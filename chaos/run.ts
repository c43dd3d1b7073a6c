// The chaos suite: `npm run chaos` (long) and `npm run chaos:short` (≈ 3 min, CI); `--deploy` (npm run chaos:deploy)
// runs the deploy drill instead (chaos/deploy.ts); `--cluster` (npm run chaos:cluster, npm run chaos -- --cluster) the
// production shape (chaos/cluster-services.ts: a Temporal server on PostgreSQL, three Kafka brokers) with broker kills
// one at a time. Starts its own PostgreSQL, Kafka
// and Temporal, runs every role as its own process (api, 2 relays, 2 bridges, 2 workers, notifier, reconciler), drives a seeded
// load while a seeded schedule kills and partitions, then reconciles and exits non-zero on any anomaly. The seed and
// the schedule are printed; CHAOS_SEED=<n> repeats a run. Results: chaos/results/<run>/result.json and logs/.
import { Client, Connection } from '@temporalio/client';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterServices, NODES, TEMPORAL_PORT_NAMES, type ClusterPorts, type ClusterTarget } from './cluster-services.ts';
import { LEADER_TOPIC } from './kafka-roles.ts';
import { ApiClient, runLoad, setUp, type OrderRecord, type ServerError } from './load.ts';
import { PartitionProxy } from './proxy.ts';
import { Reconciler, type Reconciliation } from './reconcile.ts';
import { migrate, RoleProcess, roleEnv, type RoleSpec } from './roles.ts';
import { CLUSTER_PROFILES, describeFault, faultSchedule, INSTANCES, PROFILES, type Fault } from './schedule.ts';
import { Services } from './services.ts';
import { clock, freePort, freePortIn, prng, say, sleep, waitUntil } from './util.ts';

const EXPIRY_MS = 20_000;
/** After a fault healed (and the restarted role or broker was ready again), how long a 503 still counts as its effect. */
const FAULT_GRACE_S = 15;
const root = fileURLToPath(new URL('.', import.meta.url));

function parseArgs(argv: string[]) {
  const unknown = argv.filter((a) => a !== '--short' && a !== '--long' && a !== '--cluster');
  if (unknown.length > 0)
    throw new Error(
      `unknown argument ${unknown.join(' ')}; usage: chaos/run.ts [--short|--long] [--cluster] (CHAOS_SEED=<n> repeats a run)`,
    );
  const raw = process.env.CHAOS_SEED;
  if (raw !== undefined && raw !== '' && !/^\d{1,10}$/.test(raw))
    throw new Error(`CHAOS_SEED must be a non-negative integer, got "${raw}"`);
  const seed = raw ? Number(raw) : Math.floor(Math.random() * 2 ** 31);
  const profiles = argv.includes('--cluster') ? CLUSTER_PROFILES : PROFILES;
  return { profile: profiles[argv.includes('--short') ? 'short' : 'long'], seed };
}

type FaultLog = Fault & {
  startedAtS?: number;
  healedAtS?: number;
  readyAfterS?: number;
  error?: string;
  workflowId?: string;
  /** A broker fault: which node was killed, and what it was at that moment. */
  broker?: string;
  brokerWas?: string;
  /** A broker fault: seconds from its restart until every partition had all its replicas in sync again. */
  inSyncAfterS?: number;
};

/**
 * The 5xx answers the issue allows: a 503 with Retry-After while a fault is on, or within FAULT_GRACE_S after it healed
 * (after the restarted role or broker was ready and in sync again). Every other 5xx, each described.
 */
function unexplainedServerErrors(errors: ServerError[], faults: FaultLog[]): string[] {
  const windows = faults
    .filter((f) => f.kind !== 'terminate workflow' && f.startedAtS !== undefined)
    .map((f) => [f.startedAtS!, (f.healedAtS ?? Infinity) + (f.readyAfterS ?? 0) + (f.inSyncAfterS ?? 0) + FAULT_GRACE_S] as const);
  const out: string[] = [];
  for (const e of errors) {
    const what = `${e.route} ${e.status} at ${e.atS} s (${e.message ?? 'no message'})`;
    if (e.status !== 503) out.push(what);
    else if (!e.retryAfter) out.push(`${what} without Retry-After`);
    else if (!windows.some(([from, to]) => e.atS >= from && e.atS <= to)) out.push(`${what} outside every fault window`);
  }
  return out;
}

/**
 * Terminates one running order workflow, drawn from those running now, as an operator would in the Web UI; retried
 * while Temporal is down or no order workflow runs. Returns its id.
 */
async function terminateOneRunning(address: string, random: () => number, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no order workflow running';
  while (Date.now() < deadline) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 3000 });
      const client = new Client({ connection });
      const running: string[] = [];
      for await (const wf of client.workflow.list({ query: 'ExecutionStatus="Running"' })) running.push(wf.workflowId);
      if (running.length > 0) {
        const id = running[Math.floor(random() * running.length)]!;
        await client.workflow.getHandle(id).terminate('chaos: terminated mid-run, as an operator might');
        return id;
      }
    } catch (err) {
      last = String(err);
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await sleep(1000);
  }
  throw new Error(`could not terminate a workflow: ${last}`);
}

/** The run's services, of either shape, as the harness uses them. */
type Backend = {
  /** One line for the log: what runs where. */
  describe: string;
  pgPort: number;
  temporalPort: number;
  /** Comma-separated. */
  kafkaBrokers: string;
  init(): Promise<void>;
  databaseUrl(port?: number): string;
  kill(target: 'postgres' | 'temporal' | 'kafka'): Promise<void>;
  start(target: 'postgres' | 'temporal' | 'kafka'): Promise<void>;
  stopAll(): Promise<void>;
  /** --cluster: the three-broker Kafka and Temporal server. */
  cluster?: ClusterServices;
};

async function openBackend(
  cluster: boolean,
  state: string,
  logs: string,
  port: () => Promise<number>,
  lowPort: () => Promise<number>,
): Promise<Backend> {
  if (!cluster) {
    const services = new Services(state, logs, {
      pg: await port(),
      kafka: await port(),
      kafkaController: await port(),
      temporal: await port(),
    });
    return {
      describe: `own PostgreSQL :${services.ports.pg}, Kafka :${services.ports.kafka}, Temporal dev server :${services.ports.temporal}`,
      pgPort: services.ports.pg,
      temporalPort: services.ports.temporal,
      kafkaBrokers: `127.0.0.1:${services.ports.kafka}`,
      init: () => services.init(),
      databaseUrl: (p) => services.databaseUrl(p),
      kill: (t) => services.kill(t),
      start: (t) => services.start(t),
      stopAll: () => services.stopAll(),
    };
  }
  const nodePorts = async () => Object.fromEntries(await Promise.all(NODES.map(async (n) => [n, await port()] as const)));
  const temporal = {} as ClusterPorts['temporal'];
  for (const name of TEMPORAL_PORT_NAMES) temporal[name] = await lowPort();
  const services = new ClusterServices(state, logs, {
    pg: await port(),
    brokers: await nodePorts(),
    controllers: await nodePorts(),
    temporal,
  });
  const target = (t: 'postgres' | 'temporal' | 'kafka'): ClusterTarget => {
    if (t === 'kafka') throw new Error('--cluster kills one broker at a time (kill -9 broker)');
    return t;
  };
  return {
    describe:
      `own PostgreSQL :${services.ports.pg}, Kafka brokers ${services.kafkaBrokers.join(',')} (replication ${services.topicSettings.replicationFactor}, ` +
      `min.insync.replicas ${services.topicSettings.minInsyncReplicas}), Temporal server on that PostgreSQL :${services.temporalPort}`,
    pgPort: services.ports.pg,
    temporalPort: services.temporalPort,
    kafkaBrokers: services.kafkaBrokers.join(','),
    init: () => services.init(),
    databaseUrl: (p) => services.databaseUrl(p),
    kill: (t) => services.kill(target(t)),
    start: (t) => services.start(target(t)),
    stopAll: () => services.stopAll(),
    cluster: services,
  };
}

/**
 * kill -9 of the broker that is, right now, the leader of a partition of the app's first topic (preferring one that is
 * not also the active controller, so the two faults differ) or the active controller; down for the fault's time, then
 * started again on its data, and the fault lasts until every partition has all its replicas in sync again. Broker
 * faults run one at a time (the caller serialises them): with replication 3 and min.insync.replicas 2, one broker down
 * must cost nothing.
 */
async function killBroker(cluster: ClusterServices, f: FaultLog & { kind: 'kill -9 broker' }): Promise<void> {
  // Asked until both are known (a busy machine makes a metadata request time out now and then).
  let roles = await cluster.kafkaRoles();
  const deadline = Date.now() + 60_000;
  while ((roles.controller === undefined || !roles.placement) && Date.now() < deadline) {
    await sleep(1000);
    roles = await cluster.kafkaRoles();
  }
  const controller = roles.controller;
  const leaders = [...(roles.placement?.leaders ?? new Map<number, number>())].sort(([a], [b]) => a - b);
  // The leader of the lowest partition whose leader is not the controller; else of partition 0.
  const led = leaders.find(([, node]) => node !== controller) ?? leaders[0];
  const node = f.target === 'controller' ? controller : led?.[1];
  if (node === undefined)
    throw new Error(
      `no ${f.target} known (controller ${controller ?? '?'}, leader ${led?.[1] ?? '?'}${roles.error ? `: ${roles.error}` : ''})`,
    );
  const partitionsLed = leaders.filter(([, n]) => n === node).map(([p]) => p);
  const parts = [
    ...(partitionsLed.length > 0 ? [`leader of ${LEADER_TOPIC} partitions ${partitionsLed.join(',')}`] : []),
    ...(node === controller ? ['the active controller'] : []),
  ];
  f.broker = `kafka-${node}`;
  f.brokerWas = parts.join(' and ') || 'a follower';
  say(`kill -9 ${f.broker} (${f.brokerWas}; the active controller: kafka-${controller ?? '?'})`);
  await cluster.kill(`kafka-${node as 1 | 2 | 3}`);
  await sleep(f.downMs);
  await cluster.start(`kafka-${node as 1 | 2 | 3}`);
  f.healedAtS = clock();
  say(`healed: ${f.broker} started again; waiting for its replicas to be in sync`);
  f.inSyncAfterS = Number((await cluster.waitInSync(180_000)).toFixed(1));
  say(`${f.broker}: every partition in sync ${f.inSyncAfterS} s after its restart`);
}

async function main(): Promise<number> {
  const { profile, seed } = parseArgs(process.argv.slice(2));
  const random = prng(seed);
  const schedule = faultSchedule(random, profile);
  const runName = `${new Date().toISOString().replace(/[:.]/g, '-')}-${profile.cluster ? 'cluster-' : ''}${profile.name}-${seed}`;
  const results = path.join(root, 'results', runName);
  const logs = path.join(results, 'logs');
  mkdirSync(path.join(logs, 'kafka'), { recursive: true });
  const state = mkdtempSync(path.join(os.tmpdir(), 'order-saga-chaos-'));

  say(
    `chaos ${profile.cluster ? 'cluster ' : ''}${profile.name}: seed ${seed} (repeat with CHAOS_SEED=${seed}), ${profile.ordersPerSecond} orders/s for ${profile.loadMs / 1000} s`,
  );
  say(`fault schedule (from the start of the load):\n${schedule.map((f) => `           ${describeFault(f)}`).join('\n')}`);

  const taken = new Set<number>();
  const port = () => freePort(taken);
  // The Temporal server stores its ports as smallint (cluster_membership): below the ephemeral range.
  const services = await openBackend(profile.cluster === true, state, logs, port, () => freePortIn(taken, 20_000, 32_767));
  const proxies: Record<'postgres' | 'temporal', PartitionProxy | undefined> = { postgres: undefined, temporal: undefined };
  const roles: RoleProcess[] = [];
  let tornDown = false;
  const teardown = async () => {
    if (tornDown) return;
    tornDown = true;
    say('tearing down: roles, proxies, services');
    await Promise.all(roles.map((r) => r.stop()));
    await Promise.all(Object.values(proxies).map(async (p) => p?.close()));
    await services.stopAll();
    rmSync(state, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping`);
      void teardown().finally(() => process.exit(130));
    });
  }

  try {
    say(`starting ${services.describe} (state ${state})`);
    const initStart = clock();
    await services.init();
    say(`services up in ${(clock() - initStart).toFixed(1)} s`);
    proxies.postgres = await PartitionProxy.open('postgres', await port(), services.pgPort);
    proxies.temporal = await PartitionProxy.open('temporal', await port(), services.temporalPort);

    const env = roleEnv({
      databaseUrl: services.databaseUrl(proxies.postgres.port),
      kafkaBroker: services.kafkaBrokers,
      temporalAddress: `127.0.0.1:${proxies.temporal.port}`,
      expiryMs: EXPIRY_MS,
      ...(services.cluster && { topics: services.cluster.topicSettings }),
    });
    await migrate(env);
    const specs: RoleSpec[] = [];
    for (const [role, names] of Object.entries(INSTANCES))
      for (const name of names) specs.push({ name, role: role as RoleSpec['role'], port: await port() });
    for (const spec of specs) roles.push(new RoleProcess(spec, env, logs));
    const byName = new Map(roles.map((r) => [r.spec.name, r]));
    roles.forEach((r) => r.start());
    // Nine Node processes start at once; on the cluster shape beside three brokers and the Temporal server.
    const startMs = profile.cluster ? 240_000 : 120_000;
    await Promise.all(roles.map((r) => waitUntil(() => r.ready(), { timeoutMs: startMs, what: `${r.spec.name} ready` })));
    say(`roles ready: ${roles.map((r) => r.spec.name).join(', ')}`);

    const api = new ApiClient(`http://127.0.0.1:${byName.get('api')!.spec.port}`);
    const { accounts, stock } = await setUp(api, random, 10, 8);

    const faultLog: FaultLog[] = schedule.map((f) => ({ ...f }));
    // Its own stream: the load draws from `random` meanwhile.
    const picker = prng(seed + 1);
    const loadStart = Date.now();
    // Broker faults one at a time: each waits for the one before to be healed and in sync.
    let brokerTurn: Promise<unknown> = Promise.resolve();
    const applyFault = async (f: FaultLog) => {
      await sleep(Math.max(0, loadStart + f.atMs - Date.now()));
      if (f.kind === 'kill -9 broker') {
        const previous = brokerTurn;
        let release = () => undefined as void;
        brokerTurn = new Promise<void>((resolve) => (release = resolve));
        await previous;
        try {
          f.startedAtS = clock();
          say(`fault: ${f.kind} ${f.target} for ${(f.downMs / 1000).toFixed(1)} s`);
          await killBroker(services.cluster!, f);
        } catch (err) {
          f.error = String(err);
          say(`fault ${f.kind} ${f.target} went wrong: ${f.error}`);
          // Still one broker at a time: the next broker fault waits for this one's replicas, as far as they come back.
          await services.cluster!.waitInSync(300_000).catch((e: unknown) => say(`after that fault: ${String(e)}`));
        } finally {
          release();
        }
        return;
      }
      f.startedAtS = clock();
      say(`fault: ${f.kind} ${f.target} for ${(f.downMs / 1000).toFixed(1)} s`);
      try {
        if (f.kind === 'terminate workflow') {
          // On the cluster shape Temporal is down while its PostgreSQL is: longer to wait for it.
          f.workflowId = await terminateOneRunning(`127.0.0.1:${services.temporalPort}`, picker, profile.cluster ? 180_000 : 60_000);
          f.healedAtS = clock();
          say(`terminated ${f.workflowId}`);
          return;
        }
        if (f.kind === 'kill -9') await byName.get(f.target)!.kill9();
        else if (f.kind === 'partition') proxies[f.target]!.partition();
        else await services.kill(f.target === 'postgres' ? 'postgres' : f.target);
        await sleep(f.downMs);
        if (f.kind === 'kill -9') byName.get(f.target)!.start();
        else if (f.kind === 'partition') proxies[f.target]!.heal();
        else await services.start(f.target);
        f.healedAtS = clock();
        say(`healed: ${f.kind} ${f.target}`);
        if (f.kind === 'kill -9') {
          const role = byName.get(f.target)!;
          await waitUntil(() => role.ready(), { timeoutMs: 180_000, what: `${f.target} ready after restart` });
          f.readyAfterS = Number((clock() - f.healedAtS).toFixed(1));
        }
      } catch (err) {
        f.error = String(err);
        say(`fault ${f.kind} ${f.target} went wrong: ${f.error}`);
      }
    };
    const [ledger] = await Promise.all([
      runLoad({ api, random, profile, expiryMs: EXPIRY_MS, accounts, productIds: [...stock.keys()], seed }),
      Promise.all(faultLog.map(applyFault)),
    ]);
    say(`load done: ${ledger.length} orders; every fault healed`);

    const notReady: string[] = [];
    await Promise.all(
      roles.map(async (r) => {
        try {
          await waitUntil(() => r.ready(), { timeoutMs: 120_000, what: `${r.spec.name} ready` });
        } catch {
          notReady.push(`${r.spec.name}: ${await r.readiness()}`);
        }
      }),
    );

    const reconciler = new Reconciler(
      {
        databaseUrl: services.databaseUrl(),
        temporalAddress: `127.0.0.1:${services.temporalPort}`,
        kafkaBroker: services.kafkaBrokers,
        workflowIdPrefix: 'order-',
      },
      accounts.map((a) => a.id),
    );
    let report: Reconciliation;
    try {
      const settledInS = await reconciler.settle(profile.settleTimeoutMs);
      report = await reconciler.reconcile(ledger, stock, settledInS, path.join(results, 'histories'));
    } finally {
      await reconciler.close();
    }
    report.checks['roles not ready after the faults'] = { count: notReady.length, examples: notReady };
    for (const r of roles)
      if (r.unexpectedExits.length > 0) report.info[`unexpected exits of ${r.spec.name} (restarted)`] = r.unexpectedExits.join('; ');
    if (services.cluster && services.cluster.unexpectedExits.length > 0)
      report.info['unexpected exits of a broker or the Temporal server (restarted)'] = services.cluster.unexpectedExits.join('; ');
    // 5xx answers: a 503 with Retry-After inside a fault window is the API saying "not now"; anything else is not. A
    // check of the --cluster profile (the issue's); reported for the dev profiles, whose verdict it does not change.
    const unexplained = unexplainedServerErrors(api.serverErrors, faultLog);
    if (profile.cluster)
      report.checks['5xx other than 503 with Retry-After inside a fault window'] = {
        count: unexplained.length,
        examples: unexplained.slice(0, 10),
      };
    else if (unexplained.length > 0)
      report.info['5xx other than 503 with Retry-After inside a fault window (not a check here)'] = unexplained.slice(0, 5).join('; ');
    report.info['5xx answers (all)'] = api.serverErrors.length;
    const anomalies = Object.values(report.checks).reduce((sum, c) => sum + c.count, 0) + faultLog.filter((f) => f.error).length;
    printTable(report, faultLog, api.answers, ledger);
    const file = path.join(results, 'result.json');
    writeFileSync(
      file,
      JSON.stringify(
        { seed, profile, schedule: faultLog, reconciliation: report, answers: Object.fromEntries(api.answers), anomalies, ledger },
        null,
        2,
      ),
    );
    say(`result: ${file}; logs: ${logs}`);
    say(anomalies === 0 ? 'PASS: no anomaly' : `FAIL: ${anomalies} anomalies`);
    return anomalies === 0 ? 0 : 1;
  } finally {
    await teardown();
  }
}

function printTable(report: Reconciliation, faults: FaultLog[], answers: Map<string, number>, ledger: OrderRecord[]) {
  const line = (label: string, value: string | number) => console.log(`  ${label.padEnd(62)} ${value}`);
  console.log('\nfaults:');
  for (const f of faults) {
    const ready =
      f.readyAfterS !== undefined
        ? `, ready ${f.readyAfterS} s after restart`
        : f.workflowId
          ? `: ${f.workflowId}`
          : f.broker
            ? `: ${f.broker} (${f.brokerWas}), in sync ${f.inSyncAfterS ?? '?'} s after restart`
            : '';
    console.log(`  ${describeFault(f)}${ready}${f.error ? `  ERROR ${f.error}` : ''}`);
  }
  console.log('\nreconciliation:');
  const s = report.byStatus;
  line('orders placed by the client', ledger.length);
  line(
    'accepted (201)',
    `${report.accepted} → ${s.Completed ?? 0} Completed, ${s.Expired ?? 0} Expired, ${s.Cancelled ?? 0} Cancelled, ${report.deleted} deleted` +
      (s.Pending || s.Processing ? `, ${s.Pending ?? 0} Pending, ${s.Processing ?? 0} Processing` : ''),
  );
  line(
    'Temporal OrderStatus search attribute',
    Object.entries(report.temporalByStatus)
      .map(([k, v]) => `${v} ${k}`)
      .join(', '),
  );
  line('settled after the faults in', report.settledInS === undefined ? 'NOT SETTLED' : `${report.settledInS.toFixed(1)} s`);
  for (const [name, c] of Object.entries(report.checks)) {
    line(name, c.count);
    for (const e of c.examples) console.log(`      ${e}`);
  }
  const internal = [...answers].filter(([k]) => / 5\d\d$/.test(k) && !k.endsWith(' 503'));
  if (internal.length > 0)
    console.log(`\nnote: ${internal.map(([k, v]) => `${v} × ${k}`).join(', ')}: internal errors (retried by the client; see logs/api.log)`);
  console.log('\nclient answers (route status: count):');
  for (const [k, v] of [...answers].sort()) line(k, v);
  console.log('\nactions and outcomes:');
  for (const [k, v] of Object.entries(report.info).sort()) line(k, v);
  console.log('');
}

const run = process.argv.includes('--deploy') ? (await import('./deploy.ts')).deployDrill : main;
run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('chaos run failed:', err);
    process.exit(2);
  },
);

// The chaos suite: `npm run chaos` (long) and `npm run chaos:short` (≈ 3 min, CI); `--deploy` (npm run chaos:deploy)
// runs the deploy drill instead (chaos/deploy.ts). Starts its own PostgreSQL, Kafka
// and Temporal, runs every role as its own process (api, 2 relays, 2 bridges, 2 workers, notifier, reconciler), drives a seeded
// load while a seeded schedule kills and partitions, then reconciles and exits non-zero on any anomaly. The seed and
// the schedule are printed; CHAOS_SEED=<n> repeats a run. Results: chaos/results/<run>/result.json and logs/.
import { Client, Connection } from '@temporalio/client';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient, runLoad, setUp, type OrderRecord } from './load.ts';
import { PartitionProxy } from './proxy.ts';
import { Reconciler, type Reconciliation } from './reconcile.ts';
import { migrate, RoleProcess, roleEnv, type RoleSpec } from './roles.ts';
import { describeFault, faultSchedule, INSTANCES, PROFILES, type Fault } from './schedule.ts';
import { Services } from './services.ts';
import { clock, freePort, prng, say, sleep, waitUntil } from './util.ts';

const EXPIRY_MS = 20_000;
const root = fileURLToPath(new URL('.', import.meta.url));

function parseArgs(argv: string[]) {
  const unknown = argv.filter((a) => a !== '--short' && a !== '--long');
  if (unknown.length > 0)
    throw new Error(`unknown argument ${unknown.join(' ')}; usage: chaos/run.ts [--short|--long] (CHAOS_SEED=<n> repeats a run)`);
  const raw = process.env.CHAOS_SEED;
  if (raw !== undefined && raw !== '' && !/^\d{1,10}$/.test(raw))
    throw new Error(`CHAOS_SEED must be a non-negative integer, got "${raw}"`);
  const seed = raw ? Number(raw) : Math.floor(Math.random() * 2 ** 31);
  return { profile: PROFILES[argv.includes('--short') ? 'short' : 'long'], seed };
}

type FaultLog = Fault & { startedAtS?: number; healedAtS?: number; readyAfterS?: number; error?: string; workflowId?: string };

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

async function main(): Promise<number> {
  const { profile, seed } = parseArgs(process.argv.slice(2));
  const random = prng(seed);
  const schedule = faultSchedule(random, profile);
  const runName = `${new Date().toISOString().replace(/[:.]/g, '-')}-${profile.name}-${seed}`;
  const results = path.join(root, 'results', runName);
  const logs = path.join(results, 'logs');
  mkdirSync(path.join(logs, 'kafka'), { recursive: true });
  const state = mkdtempSync(path.join(os.tmpdir(), 'order-saga-chaos-'));

  say(
    `chaos ${profile.name}: seed ${seed} (repeat with CHAOS_SEED=${seed}), ${profile.ordersPerSecond} orders/s for ${profile.loadMs / 1000} s`,
  );
  say(`fault schedule (from the start of the load):\n${schedule.map((f) => `           ${describeFault(f)}`).join('\n')}`);

  const taken = new Set<number>();
  const port = () => freePort(taken);
  const services = new Services(state, logs, {
    pg: await port(),
    kafka: await port(),
    kafkaController: await port(),
    temporal: await port(),
  });
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
    say(
      `starting own PostgreSQL :${services.ports.pg}, Kafka :${services.ports.kafka}, Temporal :${services.ports.temporal} (state ${state})`,
    );
    await services.init();
    proxies.postgres = await PartitionProxy.open('postgres', await port(), services.ports.pg);
    proxies.temporal = await PartitionProxy.open('temporal', await port(), services.ports.temporal);

    const env = roleEnv({
      databaseUrl: services.databaseUrl(proxies.postgres.port),
      kafkaBroker: `127.0.0.1:${services.ports.kafka}`,
      temporalAddress: `127.0.0.1:${proxies.temporal.port}`,
      expiryMs: EXPIRY_MS,
    });
    await migrate(env);
    const specs: RoleSpec[] = [];
    for (const [role, names] of Object.entries(INSTANCES))
      for (const name of names) specs.push({ name, role: role as RoleSpec['role'], port: await port() });
    for (const spec of specs) roles.push(new RoleProcess(spec, env, logs));
    const byName = new Map(roles.map((r) => [r.spec.name, r]));
    roles.forEach((r) => r.start());
    await Promise.all(roles.map((r) => waitUntil(() => r.ready(), { timeoutMs: 120_000, what: `${r.spec.name} ready` })));
    say(`roles ready: ${roles.map((r) => r.spec.name).join(', ')}`);

    const api = new ApiClient(`http://127.0.0.1:${byName.get('api')!.spec.port}`);
    const { accounts, stock } = await setUp(api, random, 10, 8);

    const faultLog: FaultLog[] = schedule.map((f) => ({ ...f }));
    // Its own stream: the load draws from `random` meanwhile.
    const picker = prng(seed + 1);
    const loadStart = Date.now();
    const applyFault = async (f: FaultLog) => {
      await sleep(Math.max(0, loadStart + f.atMs - Date.now()));
      f.startedAtS = clock();
      say(`fault: ${f.kind} ${f.target} for ${(f.downMs / 1000).toFixed(1)} s`);
      try {
        if (f.kind === 'terminate workflow') {
          f.workflowId = await terminateOneRunning(`127.0.0.1:${services.ports.temporal}`, picker);
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
        temporalAddress: `127.0.0.1:${services.ports.temporal}`,
        kafkaBroker: `127.0.0.1:${services.ports.kafka}`,
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
    const ready = f.readyAfterS !== undefined ? `, ready ${f.readyAfterS} s after restart` : f.workflowId ? `: ${f.workflowId}` : '';
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

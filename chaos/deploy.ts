// The deploy drill (`npm run chaos:deploy`, ≈ 4 min): a changed workflow deployed while orders wait. On services of
// its own (as the chaos suite), every role as its own process and two workers of build A (this checkout, Worker
// Deployment Versioning on) take a seeded load of orders that are paid, cancelled, deleted or left to expire. Build B
// (chaos/deploy-build.ts: a real, unpatched change no A-history replays on) starts beside A, is refused as current
// before its workers poll, ramps, becomes current; a worker of each build is killed once; A drains its pinned runs
// and stops. Then the suite's reconciliation, plus: each order finished on the build it started on (read from
// Temporal) and no worker logged a non-determinism error. Exit 0: no anomaly, 1: anomalies, 2: the harness failed.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatStatus } from '../scripts/deploy.ts';
import { workflowBuildId } from '../src/temporal/build-id.ts';
import {
  DeploymentRefused,
  deploymentStatus,
  openWorkflowsOn,
  setCurrent,
  setRamping,
  type DeploymentTarget,
} from '../src/temporal/deployments.ts';
import { checkLiveHistories } from '../src/temporal/history-check.ts';
import { generateBuildB } from './deploy-build.ts';
import { checkVersioning } from './deploy-check.ts';
import { ApiClient, runLoad, setUp } from './load.ts';
import { Reconciler } from './reconcile.ts';
import { migrate, RoleProcess, roleEnv, type RoleSpec } from './roles.ts';
import { PROFILES, type Profile } from './schedule.ts';
import { Services } from './services.ts';
import { clock, freePort, prng, say, sleep, waitUntil } from './util.ts';

const EXPIRY_MS = 40_000;
const SHORT: Profile = { ...PROFILES.short, loadMs: 100_000, mix: { pay: 0.2, cancel: 0.15, delete: 0.03 }, settleTimeoutMs: 150_000 };
/** The long chaos run's step (`npm run chaos`): the same deploy, then four more minutes of orders on build B. */
const LONG: Profile = { ...SHORT, name: 'long', loadMs: 340_000, settleTimeoutMs: 300_000 };
const PROFILE: Profile = process.argv.includes('--long') ? LONG : SHORT;
/** From the start of the load. */
const AT = { startB: 20_000, ramp: 35_000, current: 50_000, killA: 60_000, killB: 80_000 };
const KILL_DOWN_MS = 6_000;
const DEPLOYMENT = 'order-saga';
const root = fileURLToPath(new URL('.', import.meta.url));

type Step = { atS: number; what: string; detail?: string; error?: string };

export async function deployDrill(): Promise<number> {
  const raw = process.env.CHAOS_SEED;
  const seed = raw && /^\d{1,10}$/.test(raw) ? Number(raw) : Math.floor(Math.random() * 2 ** 31);
  const random = prng(seed);
  const results = path.join(root, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}-deploy-${seed}`);
  const logs = path.join(results, 'logs');
  mkdirSync(path.join(logs, 'kafka'), { recursive: true });
  const state = mkdtempSync(path.join(os.tmpdir(), 'order-saga-deploy-'));
  // The replay check below runs replay workers in this process: its expected non-determinism warnings stay out of the
  // report (the step line counts them).
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, console: {} } },
  });

  const steps: Step[] = [];
  const step = (what: string, detail?: string) => {
    steps.push({ atS: Number(clock().toFixed(1)), what, ...(detail && { detail }) });
    say(detail ? `${what}: ${detail}` : what);
  };
  say(`deploy drill: seed ${seed} (repeat with CHAOS_SEED=${seed}), ${PROFILE.ordersPerSecond} orders/s for ${PROFILE.loadMs / 1000} s`);

  const taken = new Set<number>();
  const port = () => freePort(taken);
  const services = new Services(
    state,
    logs,
    { pg: await port(), kafka: await port(), kafkaController: await port(), temporal: await port() },
    // The server re-checks a draining build every few seconds instead of minutes, so the drill sees it drained.
    ['matching.wv.VersionDrainageStatusRefreshInterval="5s"', 'matching.wv.VersionDrainageStatusVisibilityGracePeriod="5s"'].flatMap(
      (v) => ['--dynamic-config-value', v],
    ),
  );
  const roles: RoleProcess[] = [];
  let connection: Connection | undefined;
  let tornDown = false;
  const teardown = async () => {
    if (tornDown) return;
    tornDown = true;
    say('tearing down: roles, services');
    await Promise.all(roles.map((r) => r.stop()));
    await connection?.close().catch(() => undefined);
    await services.stopAll();
    rmSync(state, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void teardown().finally(() => process.exit(130)));

  try {
    const buildB = generateBuildB(path.join(state, 'build-b'));
    writeFileSync(path.join(results, 'build-b.diff'), buildB.diff);
    const ids = { A: workflowBuildId(), B: workflowBuildId(buildB.workflowsPath, buildB.dir) };
    step('builds', `A ${ids.A} (this checkout), B ${ids.B} (charge as an activity task again; results/build-b.diff)`);
    if (ids.A === ids.B) throw new Error('build B derived the same build id as A');

    await services.init();
    const env = {
      ...roleEnv({
        databaseUrl: services.databaseUrl(),
        kafkaBroker: `127.0.0.1:${services.ports.kafka}`,
        temporalAddress: `127.0.0.1:${services.ports.temporal}`,
        expiryMs: EXPIRY_MS,
      }),
      WORKER_VERSIONING: 'true',
      WORKER_DEPLOYMENT_NAME: DEPLOYMENT,
    };
    await migrate(env);
    const spec = async (name: string, role: RoleSpec['role'], main?: string): Promise<RoleSpec> => ({
      name,
      role,
      port: await port(),
      main,
    });
    const specs = [
      await spec('api', 'api'),
      await spec('relay', 'relay'),
      await spec('bridge', 'bridge'),
      await spec('notifier', 'notifier'),
      await spec('reconciler', 'reconciler'),
      await spec('worker-a1', 'worker'),
      await spec('worker-a2', 'worker'),
      await spec('worker-b1', 'worker', buildB.main),
      await spec('worker-b2', 'worker', buildB.main),
    ];
    for (const s of specs) roles.push(new RoleProcess(s, env, logs));
    const byName = new Map(roles.map((r) => [r.spec.name, r]));
    const group = (prefix: string) => roles.filter((r) => r.spec.name.startsWith(prefix));
    const ready = (list: RoleProcess[], timeoutMs = 120_000) =>
      Promise.all(list.map((r) => waitUntil(() => r.ready(), { timeoutMs, what: `${r.spec.name} ready` })));
    const initial = roles.filter((r) => !r.spec.name.startsWith('worker-b'));
    initial.forEach((r) => r.start());
    await ready(initial);
    step('roles ready', initial.map((r) => r.spec.name).join(', '));

    connection = await Connection.connect({ address: `127.0.0.1:${services.ports.temporal}` });
    const client = new Client({ connection });
    const target: DeploymentTarget = { client, namespace: 'default', deploymentName: DEPLOYMENT, taskQueue: 'orders' };
    const anomalies: string[] = [];
    await waitUntil(async () => (await deploymentStatus(target)).builds.some((b) => b.buildId === ids.A && b.pollers.length > 0), {
      timeoutMs: 60_000,
      what: 'build A polling',
    });
    step('deploy current A', `previous: ${(await setCurrent(target, ids.A, 'chaos-deploy')) ?? 'none'}`);

    const api = new ApiClient(`http://127.0.0.1:${byName.get('api')!.spec.port}`);
    const { accounts, stock } = await setUp(api, random, 10, 8);
    const loadStart = Date.now();
    const at = (ms: number) => sleep(Math.max(0, loadStart + ms - Date.now()));
    let switchedAt = 0;
    const killOnce = async (role: RoleProcess, atMs: number) => {
      await at(atMs);
      await role.kill9();
      step(`kill -9 ${role.spec.name}`, `back after ${KILL_DOWN_MS / 1000} s`);
      await sleep(KILL_DOWN_MS);
      role.start();
      const healed = clock();
      await ready([role], 180_000);
      step(`${role.spec.name} ready again`, `${(clock() - healed).toFixed(1)} s after restart`);
    };
    const deploy = async () => {
      await at(AT.startB);
      try {
        await setCurrent(target, ids.B, 'chaos-deploy');
        anomalies.push('deploy current B was accepted before any worker of B polled');
        step('deploy current B before its workers', 'ACCEPTED (should have been refused)');
      } catch (err) {
        if (!(err instanceof DeploymentRefused)) throw err;
        step('deploy current B before its workers: refused', err.message.split('. ')[0]);
      }
      const workersB = group('worker-b');
      workersB.forEach((r) => r.start());
      await ready(workersB);
      step('build B workers ready', workersB.map((r) => r.spec.name).join(', '));
      const replay = await checkLiveHistories(client, {
        query: `WorkflowType = 'orderWorkflow' AND ExecutionStatus = 'Running' AND TemporalWorkerDeploymentVersion = '${DEPLOYMENT}:${ids.A}'`,
        limit: 40,
        workflowsPath: buildB.workflowsPath,
      });
      const nde = replay.failures.filter((f) => /nondetermin/i.test(f.error)).length;
      step('histories:check of running A orders on B code', `${replay.checked} replayed, ${nde} non-determinism errors`);
      if (nde === 0) anomalies.push('no running build-A history fails on build B: the change would not need pinning');
      await at(AT.ramp);
      await setRamping(target, ids.B, 25, 'chaos-deploy');
      step('deploy ramp B 25');
      await at(AT.current);
      await setCurrent(target, ids.B, 'chaos-deploy');
      switchedAt = Date.now();
      step('deploy current B', `${await openWorkflowsOn(target, ids.A)} order workflows open on A`);
    };
    const [ledger] = await Promise.all([
      runLoad({ api, random, profile: PROFILE, expiryMs: EXPIRY_MS, accounts, productIds: [...stock.keys()], seed }),
      deploy(),
      killOnce(byName.get('worker-a1')!, AT.killA),
      killOnce(byName.get('worker-b1')!, AT.killB),
    ]);
    step('load done', `${ledger.length} orders`);

    await waitUntil(async () => (await openWorkflowsOn(target, ids.A)) === 0, { timeoutMs: 180_000, what: 'build A drained' });
    step('build A: 0 open order workflows');
    const drained = await waitUntil(
      async () => (await deploymentStatus(target)).builds.find((b) => b.buildId === ids.A)?.drainage === 'drained',
      { timeoutMs: 60_000, what: 'the server to call build A drained' },
    ).then(
      () => 'drained',
      (err: unknown) => String(err),
    );
    step('build A drainage (server)', drained);
    await Promise.all(group('worker-a').map((r) => r.stop()));
    step('build A workers stopped');
    const status = formatStatus(await deploymentStatus(target));

    const reconciler = new Reconciler(
      {
        databaseUrl: services.databaseUrl(),
        temporalAddress: `127.0.0.1:${services.ports.temporal}`,
        kafkaBroker: `127.0.0.1:${services.ports.kafka}`,
        workflowIdPrefix: 'order-',
      },
      accounts.map((a) => a.id),
    );
    const report = await (async () => {
      try {
        const settledInS = await reconciler.settle(PROFILE.settleTimeoutMs);
        return await reconciler.reconcile(ledger, stock, settledInS, path.join(results, 'histories'));
      } finally {
        await reconciler.close();
      }
    })();
    const versioning = await checkVersioning(client, {
      buildA: ids.A,
      buildB: ids.B,
      switchedAt,
      workerLogs: group('worker-').map((r) => path.join(logs, `${r.spec.name}.log`)),
    });
    const checks = {
      ...report.checks,
      ...versioning.checks,
      'drill steps that went wrong': { count: anomalies.length, examples: anomalies },
    };
    const total = Object.values(checks).reduce((sum, c) => sum + c.count, 0);
    printReport(steps, status, report, versioning.info, checks, api.answers);
    writeFileSync(
      path.join(results, 'result.json'),
      JSON.stringify({ seed, builds: ids, steps, status, reconciliation: report, versioning, checks, anomalies: total, ledger }, null, 2),
    );
    say(`result: ${path.join(results, 'result.json')}; logs: ${logs}`);
    say(total === 0 ? 'PASS: no anomaly' : `FAIL: ${total} anomalies`);
    return total === 0 ? 0 : 1;
  } finally {
    await teardown();
  }
}

function printReport(
  steps: Step[],
  status: string,
  report: Awaited<ReturnType<Reconciler['reconcile']>>,
  info: Record<string, number | string>,
  checks: Record<string, { count: number; examples: string[] }>,
  answers: Map<string, number>,
) {
  const line = (label: string, value: string | number) => console.log(`  ${label.padEnd(76)} ${value}`);
  console.log('\ndeploy steps:');
  for (const s of steps) console.log(`  ${s.atS.toFixed(1).padStart(6)} s  ${s.what}${s.detail ? `: ${s.detail}` : ''}`);
  console.log(`\n${status}`);
  console.log('\nreconciliation:');
  const b = report.byStatus;
  line(
    'accepted (201)',
    `${report.accepted} → ${b.Completed ?? 0} Completed, ${b.Expired ?? 0} Expired, ${b.Cancelled ?? 0} Cancelled, ${report.deleted} deleted`,
  );
  for (const [k, v] of Object.entries(info)) line(k, v);
  line('settled in', report.settledInS === undefined ? 'NOT SETTLED' : `${report.settledInS.toFixed(1)} s`);
  for (const [name, c] of Object.entries(checks)) {
    line(name, c.count);
    for (const e of c.examples) console.log(`      ${e}`);
  }
  console.log('\nclient answers (route status: count):');
  for (const [k, v] of [...answers].sort()) line(k, v);
  console.log('');
}

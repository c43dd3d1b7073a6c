// The benchmark suite: `npm run bench -- [suite …]` (see bench/README.md). Runs the named suites (default: the short
// ones; `all` for every one) in a fixed order that groups the app settings they need, prints each suite's table of
// figures next to their baselines, and writes bench/results/<timestamp>.json and .md.
import path from 'node:path';
import os from 'node:os';
import { choiceSetting, stringSetting } from './bench.lib.ts';
import { machine, printSuite, writeResults, type RunResult, type SuiteResult } from './report.ts';
import { connectStack } from './saga.ts';
import { AppControl, jestRunning, knobs, ROOT, type AppMode } from './stack.ts';
import { SkipError, type CommonSettings, type Suite, type SuiteContext } from './suite.ts';
import { apiSuite } from './suites/api.ts';
import { burstSuite } from './suites/burst.ts';
import { memorySuite } from './suites/memory.ts';
import { metricsSuite } from './suites/metrics.ts';
import { pipelineSuite } from './suites/pipeline.ts';
import { overloadSuite } from './suites/overload.ts';
import { reconcileSuite } from './suites/reconcile.ts';
import { requestsSuite } from './suites/requests.ts';
import { scaleSuite } from './suites/scale.ts';
import { shapesSuite } from './suites/shapes.ts';
import { sustainedSuite } from './suites/sustained.ts';
import { tracingSuite } from './suites/tracing.ts';

/** In run order: the app restarts at most once per distinct setting (pipeline and burst share theirs). */
const SUITES: Suite[] = [
  apiSuite,
  pipelineSuite,
  burstSuite,
  requestsSuite,
  reconcileSuite,
  overloadSuite,
  sustainedSuite,
  memorySuite,
  metricsSuite,
  scaleSuite,
  shapesSuite,
  tracingSuite,
];

function usage(): string {
  const lines = SUITES.map((s) => `  ${s.name.padEnd(10)} ${s.long ? '(long) ' : ''}${s.summary}`);
  return [
    'usage: npm run bench -- [suite …]   (no suite: the short ones; "all": every one)',
    ...lines,
    'settings are environment variables; see bench/README.md',
  ].join('\n');
}

function selectSuites(args: string[]): Suite[] {
  if (args.length === 0) return SUITES.filter((s) => !s.long);
  if (args.includes('all')) return SUITES;
  const unknown = args.filter((a) => !SUITES.some((s) => s.name === a));
  if (unknown.length > 0) throw new Error(`unknown suite ${unknown.join(', ')}\n${usage()}`);
  return SUITES.filter((s) => args.includes(s.name));
}

async function runSuite(suite: Suite, common: CommonSettings, app: AppControl): Promise<SuiteResult> {
  const started = performance.now();
  const result: SuiteResult = {
    suite: suite.name,
    status: 'ok',
    settings: suite.settings(),
    stack: {},
    startedAt: new Date().toISOString(),
    durationS: 0,
    loadAverage: [os.loadavg()[0] ?? 0, 0],
    jestSeen: jestRunning(),
    rows: [],
    notes: [],
  };
  const closers: Array<() => Promise<void>> = [];
  const ctx: SuiteContext = {
    common,
    result,
    row: (row) => result.rows.push(row),
    note: (note) => result.notes.push(note),
    stack: async (needs) => {
      const { config, verified, env } = await app.ensure(needs);
      result.stack = { ...knobs(config), ...(verified ? {} : { verified: 'no: not started by stack.sh up, settings assumed' }) };
      const clients = await connectStack(common.BASE_URL, config, common.BENCH_EMAIL, common.BENCH_PASSWORD);
      closers.push(clients.close);
      return { ...clients, appEnv: env };
    },
  };
  console.log(`\n=== ${suite.name}: ${suite.summary}`);
  try {
    await suite.run(ctx);
  } catch (err) {
    result.status = err instanceof SkipError ? 'skipped' : 'failed';
    result.reason = err instanceof Error ? err.message : String(err);
    if (!(err instanceof SkipError)) console.error(err);
  } finally {
    for (const close of closers) await close();
  }
  result.durationS = (performance.now() - started) / 1000;
  result.loadAverage[1] = os.loadavg()[0] ?? 0;
  result.jestSeen ||= jestRunning();
  printSuite(result);
  return result;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    console.log(usage());
    return 0;
  }
  const suites = selectSuites(args);
  // Validate every suite's settings before the first one runs.
  for (const suite of suites) suite.settings();
  const common: CommonSettings = {
    BASE_URL: stringSetting('BASE_URL', `http://127.0.0.1:${process.env.PORT || 3000}`),
    BENCH_EMAIL: stringSetting('BENCH_EMAIL', 'test@example.com'),
    BENCH_PASSWORD: stringSetting('BENCH_PASSWORD', 'Password123!'),
  };
  const mode: AppMode = choiceSetting('BENCH_APP', ['manage', 'check'], 'manage');
  const resultsDir = path.resolve(ROOT, stringSetting('BENCH_RESULTS_DIR', 'bench/results'));
  const app = new AppControl(mode, common.BASE_URL);
  const run: RunResult = {
    startedAt: new Date().toISOString(),
    finishedAt: '',
    command: `npm run bench -- ${suites.map((s) => s.name).join(' ')}`,
    machine: machine(),
    suites: [],
  };
  console.log(`benchmarks: ${suites.map((s) => s.name).join(', ')} (BENCH_APP=${mode}, app at ${common.BASE_URL})`);
  try {
    for (const suite of suites) run.suites.push(await runSuite(suite, common, app));
  } finally {
    await app.restore().catch((err: unknown) => console.error('could not restore the app:', err));
    run.finishedAt = new Date().toISOString();
    if (run.suites.length > 0) {
      const files = writeResults(resultsDir, run);
      console.log(`\nresults: ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
    }
  }
  return run.suites.some((s) => s.status === 'failed') ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
}

// The benchmarks' view of the local stack (scripts/stack.sh): which settings the running app has (read from its
// process environment with the app's own src/config.ts), restarting only the app process with the settings a suite
// needs (never PostgreSQL, Kafka or Temporal, which a concurrent `npm test` may be using), a private API process for
// the api suite, and process memory.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config.ts';
import { progress, sleep } from './bench.lib.ts';
import { SkipError } from './suite.ts';

export const ROOT = path.resolve(import.meta.dirname, '..');
/** Where scripts/lib.sh keeps pid files and logs. */
export const SAGA_CACHE =
  process.env.SAGA_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'order-saga');
const RUN_DIR = path.join(SAGA_CACHE, 'run');
const LOG_DIR = path.join(SAGA_CACHE, 'logs');
/** Written by `stack.sh up` for the app process (`node src/main.ts all`). */
export const APP_PID_FILE = path.join(RUN_DIR, 'app.pid');
/** Written by scripts/provision/temporal.sh for `temporal server start-dev`. */
export const TEMPORAL_PID_FILE = path.join(RUN_DIR, 'temporal.pid');
/** Fallbacks when a pid file is missing (documented in bench/README.md). */
export const APP_PGREP = 'node .*src/main\\.ts (all|worker)$';
export const TEMPORAL_PGREP = 'temporal server start-dev';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function pidFromFile(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

export function pgrep(pattern: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' })
      .split('\n')
      .map(Number)
      .filter((pid) => pid > 0 && pid !== process.pid);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

export const jestRunning = (): boolean => pgrep('node_modules/jest/bin/jest.js|node_modules/.bin/jest').length > 0;

/** The pid from the pid file, else the single process matching `pattern`; throws when it is ambiguous or absent. */
export function findPid(what: string, pidFile: string, pattern: string): number {
  const fromFile = pidFromFile(pidFile);
  if (fromFile) return fromFile;
  const found = pgrep(pattern);
  if (found.length === 1) return found[0] as number;
  throw new Error(
    found.length === 0
      ? `no ${what} process: ${pidFile} is missing or stale and nothing matches pgrep -f '${pattern}'`
      : `${found.length} processes match pgrep -f '${pattern}' (${found.join(', ')}) and ${pidFile} is missing: which is the ${what}?`,
  );
}

export type Memory = { rssMiB: number; hwmMiB: number };

/** VmRSS and VmHWM (peak RSS) of a process, from /proc/<pid>/status. */
export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

function environOf(pid: number): Record<string, string> | undefined {
  try {
    const entries = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const);
    return Object.fromEntries(entries);
  } catch {
    return undefined;
  }
}

/** The settings that decide what a suite measures, as the app sees them. */
export const APP_KNOBS = ['PAYMENT_DURATION', 'PAYMENT_SUCCESS_RATE', 'ORDER_EXPIRY', 'DB_POOL_MAX'] as const;

export type AppState =
  | { kind: 'down' }
  /** Started by `stack.sh up`: its pid file and environment are readable. */
  | { kind: 'managed'; pid: number; env: Record<string, string>; config: Config }
  /** Something answers on BASE_URL but it is not the pid-file app (`npm run stack` in a terminal, docker, …). */
  | { kind: 'foreign' };

async function answers(baseUrl: string, readyPath = '/health'): Promise<boolean> {
  try {
    return (await fetch(new URL(readyPath, baseUrl), { signal: AbortSignal.timeout(3000) })).ok;
  } catch {
    return false;
  }
}

export async function appState(baseUrl: string): Promise<AppState> {
  const pid = pidFromFile(APP_PID_FILE);
  const env = pid ? environOf(pid) : undefined;
  if (pid && env) {
    try {
      return { kind: 'managed', pid, env, config: loadConfig(env) };
    } catch {
      // An environment the app would refuse cannot be running; fall through.
    }
  }
  return (await answers(baseUrl)) ? { kind: 'foreign' } : { kind: 'down' };
}

export const knobs = (config: Config): Record<string, string> => Object.fromEntries(APP_KNOBS.map((k) => [k, String(config[k])]));

/** The roles of the app process started by `stack.sh up` (its APP_ROLES). */
export const appRoles = (env: Record<string, string | undefined>): string => env.APP_ROLES || 'all';

/**
 * What a suite needs from the app: environment overrides to start it with, and a check of a running app's config.
 * The app's roles are checked too: `env.APP_ROLES` when given, else every role in the one process (`all`).
 */
export type StackNeeds = {
  /** Given to `stack.sh up` on top of the original app's environment. */
  env: Record<string, string>;
  /** Human-readable mismatches; empty when the app fits. */
  check: (config: Config) => string[];
};

export type AppMode = 'manage' | 'check';

/**
 * Gets the app into the state each suite needs. In `manage` mode it restarts the app process alone (SIGTERM to the pid
 * in its pid file, then `bash scripts/stack.sh up` with the suite's settings) and puts the original back at the end;
 * in `check` mode it only compares and tells what to run. Services are never stopped.
 */
export class AppControl {
  private readonly mode: AppMode;
  private readonly baseUrl: string;
  private original: AppState | undefined;
  private changed = false;

  constructor(mode: AppMode, baseUrl: string) {
    this.mode = mode;
    this.baseUrl = baseUrl;
  }

  /**
   * Resolves with the app's config once it fits `needs` (`verified`: read from the app process). An app this cannot
   * see into (no pid file) is used as it is, with the benchmark's own environment assumed for its config. Throws
   * SkipError in check mode when the app does not fit, with the command that makes it fit.
   */
  async ensure(needs: StackNeeds): Promise<{ config: Config; verified: boolean; env?: Record<string, string> }> {
    const state = await appState(this.baseUrl);
    this.original ??= state;
    const roles = appRoles(needs.env);
    const mismatches = (config: Config, env: Record<string, string>) => [
      ...needs.check(config),
      ...(appRoles(env) === roles ? [] : [`APP_ROLES=${appRoles(env)} (needs ${roles})`]),
    ];
    if (state.kind === 'managed' && mismatches(state.config, state.env).length === 0)
      return { config: state.config, verified: true, env: state.env };
    if (state.kind === 'foreign') return { config: loadConfig(process.env), verified: false };
    const wanted = Object.entries({ ...needs.env, APP_ROLES: roles })
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    if (this.mode === 'check') {
      const fix =
        state.kind === 'down'
          ? `the app is down; start it: ${wanted} npm run stack:up`
          : `the app runs with ${mismatches(state.config, state.env).join(', ')}; restart the app alone: kill $(cat ${APP_PID_FILE}); ${wanted} npm run stack:up`;
      throw new SkipError(`${fix} (or BENCH_APP=manage)`);
    }
    const base = this.original.kind === 'managed' ? this.original.env : process.env;
    await this.restart({ ...base, ...needs.env, APP_ROLES: roles }, wanted);
    const after = await appState(this.baseUrl);
    if (after.kind !== 'managed') throw new Error('the app did not come back after the restart');
    const problems = mismatches(after.config, after.env);
    if (problems.length > 0) throw new Error(`after the restart the app runs with ${problems.join(', ')}`);
    return { config: after.config, verified: true, env: after.env };
  }

  /** Puts the app back as it was before the first suite (same environment, or down). */
  async restore(): Promise<void> {
    if (!this.changed || !this.original) return;
    const now = await appState(this.baseUrl);
    const original = this.original;
    const same = (a: Config, b: Config) => JSON.stringify(knobs(a)) === JSON.stringify(knobs(b));
    if (
      original.kind === 'managed' &&
      now.kind === 'managed' &&
      same(now.config, original.config) &&
      appRoles(now.env) === appRoles(original.env)
    )
      return;
    if (original.kind === 'managed') {
      await this.restart({ ...original.env, APP_ROLES: appRoles(original.env) }, 'its original settings');
    } else {
      progress('stopping the app (it was down before the benchmarks)');
      await this.stop();
    }
    this.changed = false;
  }

  private async stop(): Promise<void> {
    const pid = pidFromFile(APP_PID_FILE);
    if (!pid) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 60_000;
    while (alive(pid) && Date.now() < deadline) await sleep(200);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }

  private async restart(env: NodeJS.ProcessEnv, what: string): Promise<void> {
    progress(`restarting the app with ${what} (bash scripts/stack.sh up; services are left running)`);
    this.changed = true;
    await this.stop();
    const child = spawn('bash', [path.join(ROOT, 'scripts/stack.sh'), 'up'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`stack.sh up failed (exit ${code}):\n${output.split('\n').slice(-15).join('\n')}`);
  }
}

/** Drops and recreates a scratch database on the server of `adminUrl` (the app's own database is never touched). */
export async function recreateDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name) || name === new URL(adminUrl).pathname.slice(1)) {
    throw new Error(`refusing to recreate database "${name}"`);
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
}

/**
 * The environment of app processes a suite starts apart from the stack: their own database, quiet logs, the demo data,
 * instant approved payments, and their own topics (so their own consumer groups), task queue and workflow ids under
 * `name`, so nothing is shared with the stack or with another setup of the same run.
 */
export function ownAppEnv(databaseUrl: string, name: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    LOG_PRETTY: 'false',
    LOG_LEVEL: 'warn',
    SEED_DEMO_DATA: 'true',
    PAYMENT_DURATION: '0',
    PAYMENT_SUCCESS_RATE: '1',
    KAFKA_TOPIC_PREFIX: `${name}.`,
    TEMPORAL_TASK_QUEUE: name,
    TEMPORAL_WORKFLOW_ID_PREFIX: `order-${name}-`,
  };
}

export type OwnProcess = { pid: number; logFile: string; stop: () => Promise<void> };

/**
 * Starts `node src/main.ts <role>` as a child of the benchmark with extra environment, logging to
 * $SAGA_CACHE/logs/bench-<name>.log (name: the role unless given); resolves once GET `readyPath` answers 200 on
 * `port` (a role without the API answers on its METRICS_PORT: pass that port and '/metrics').
 */
export function startOwnProcess(
  role: string,
  port: number,
  env: Record<string, string>,
  name = role,
  readyPath = '/health',
): Promise<OwnProcess> {
  return startScript(['src/main.ts', role], port, env, name, readyPath);
}

/** Starts `node <args>` (a script under the repository root and its arguments) the same way as startOwnProcess. */
export async function startScript(
  args: string[],
  port: number,
  env: Record<string, string>,
  name: string,
  readyPath = '/health',
): Promise<OwnProcess> {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `bench-${name}.log`);
  const fd = openSync(logFile, 'w');
  const [script, ...rest] = args as [string, ...string[]];
  const child: ChildProcess = spawn(process.execPath, ['--no-warnings=TimeoutNegativeWarning', path.join(ROOT, script), ...rest], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    await Promise.race([exit, sleep(30_000)]);
    if (!exited) child.kill('SIGKILL');
  };
  const what = `node ${args.join(' ')}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`${what} exited during start; see ${logFile}`);
    if (await answers(`http://127.0.0.1:${port}`, readyPath)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${what} not answering on :${port} after 90 s; see ${logFile}`);
    }
    await sleep(300);
  }
  return { pid: child.pid as number, logFile, stop };
}

let clockTicks: number | undefined;
/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the whole line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** What a thread of the app process does, by its name (/proc/<pid>/task/<tid>/comm). */
function threadGroup(comm: string): string {
  if (comm.startsWith('node') || comm === 'MainThread') return 'main thread';
  if (comm.startsWith('WorkerThread') || comm.startsWith('workflow')) return 'workflow threads';
  if (comm.startsWith('V8') || comm.startsWith('DelayedTask')) return 'V8 helpers (GC)';
  if (comm.startsWith('tokio') || comm.startsWith('temporal')) return 'Temporal core (Rust)';
  if (comm.startsWith('libuv')) return 'libuv pool';
  return 'other';
}

/** CPU seconds a process's threads have used so far, summed by what they do (threadGroup); {} when unreadable. */
export function threadCpuOf(pid: number): Record<string, number> {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const groups: Record<string, number> = {};
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return groups;
  }
  for (const tid of tids) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const group = threadGroup(comm);
      groups[group] = (groups[group] ?? 0) + (Number(fields[11]) + Number(fields[12])) / clockTicks;
    } catch {
      // the thread ended meanwhile
    }
  }
  return groups;
}

/** Busy and total jiffies of the whole machine, from the first line of /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const values = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((s, v) => s + v, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** The stack's processes whose CPU the saga suites report: whichever of them can be found. */
export function stackPids(): Record<string, number> {
  const pids: Record<string, number> = {};
  const find = (name: string, file: string, pattern: string) => {
    try {
      pids[name] = findPid(name, file, pattern);
    } catch {
      // not found or ambiguous: left out of the CPU figures
    }
  };
  find('app', APP_PID_FILE, APP_PGREP);
  find('temporal', TEMPORAL_PID_FILE, TEMPORAL_PGREP);
  find('kafka', path.join(RUN_DIR, 'kafka.pid'), 'kafka\\.Kafka ');
  return pids;
}

/** `appThreads`: the app process's CPU seconds by thread group (threadCpuOf), threads that ended meanwhile not counted. */
export type CpuUse = { seconds: Record<string, number>; machineBusy: number; appThreads?: Record<string, number> };

/** CPU used by `pids` and by this benchmark process between start() and the returned function's call. */
export function cpuMeter(pids: Record<string, number>): () => CpuUse {
  const read = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  const readThreads = () => (pids.app === undefined ? {} : threadCpuOf(pids.app));
  const before = read();
  const threadsBefore = readThreads();
  const ownBefore = process.cpuUsage();
  const machineBefore = machineTicks();
  return () => {
    const after = read();
    const threadsAfter = readThreads();
    const own = process.cpuUsage(ownBefore);
    const machine = machineTicks();
    const seconds = Object.fromEntries(Object.keys(pids).map((name) => [name, (after[name] ?? 0) - (before[name] ?? 0)]));
    seconds.bench = (own.user + own.system) / 1e6;
    const appThreads = Object.fromEntries(
      Object.entries(threadsAfter).map(([group, s]) => [group, Math.max(0, s - (threadsBefore[group] ?? 0))]),
    );
    return {
      seconds,
      machineBusy: (machine.busy - machineBefore.busy) / Math.max(1, machine.total - machineBefore.total),
      ...(pids.app !== undefined && { appThreads }),
    };
  };
}

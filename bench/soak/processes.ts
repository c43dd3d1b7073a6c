// Which processes make up the stack the soak runs against, found from stack.sh's pid files (re-read at every sample,
// so a restarted process is followed under its name), the app's settings read from an app process's environment, and
// what the soak samples of each process: RSS and open file descriptors.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';
import { memoryOf, pidFromFile, SAGA_CACHE } from '../stack.ts';

export type Shape = 'cluster' | 'dev';

const RUN_DIR = path.join(SAGA_CACHE, 'run');
const CLUSTER_RUN_DIR = path.join(RUN_DIR, 'cluster');

/** KEY=value lines of the file the cluster stack records its ports in (scripts/cluster.sh). */
function clusterSettings(): Record<string, string> {
  const file = path.join(CLUSTER_RUN_DIR, 'settings');
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^'(.*)'$/, '$1')]),
  );
}

function environOf(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

/** The PostgreSQL data directory's postmaster, as scripts/provision/postgres.sh lays it out (its pid: the first line). */
export function postmasterPid(pgHome: string): number | undefined {
  const file = path.join(pgHome, 'data', 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export type StackView = {
  shape: Shape;
  /** The app's settings, as its processes see them. */
  config: Config;
  /** The environment of an app process (the first API process), to start more of the same. */
  env: Record<string, string>;
  /** Every API process, to spread the load over. */
  apiUrls: string[];
  /** name → pid of every process found now (app roles, Temporal, brokers, PostgreSQL's postmaster, Prometheus). */
  processes: () => Record<string, number>;
};

export function findStack(shape: Shape): StackView {
  if (shape === 'cluster') {
    const settings = clusterSettings();
    const pidFiles = () => (existsSync(CLUSTER_RUN_DIR) ? readdirSync(CLUSTER_RUN_DIR).filter((f) => f.endsWith('.pid')) : []);
    const apiPids = pidFiles()
      .filter((f) => f.startsWith('api-'))
      .sort()
      .map((f) => pidFromFile(path.join(CLUSTER_RUN_DIR, f)))
      .filter((pid): pid is number => pid !== undefined);
    if (apiPids.length === 0) throw new Error(`no cluster API process (pid files in ${CLUSTER_RUN_DIR}): npm run stack:up -- --cluster`);
    const env = environOf(apiPids[0]!);
    const apiUrls = apiPids.map((pid) => `http://127.0.0.1:${environOf(pid).PORT}`);
    const pgHome = settings.SAGA_PG_HOME || defaultPgHome();
    return {
      shape,
      config: loadConfig(env),
      env,
      apiUrls,
      processes: () => {
        const found: Record<string, number> = {};
        for (const file of pidFiles().sort()) {
          const pid = pidFromFile(path.join(CLUSTER_RUN_DIR, file));
          if (pid) found[file.replace(/\.pid$/, '')] = pid;
        }
        const pg = postmasterPid(pgHome);
        if (pg) found.postgres = pg;
        return found;
      },
    };
  }
  const appPid = pidFromFile(path.join(RUN_DIR, 'app.pid'));
  if (!appPid) throw new Error(`no app process (${path.join(RUN_DIR, 'app.pid')}): npm run stack:up`);
  const env = environOf(appPid);
  const pgHome = process.env.SAGA_PG_HOME || defaultPgHome();
  return {
    shape,
    config: loadConfig(env),
    env,
    apiUrls: [`http://127.0.0.1:${env.PORT || 3000}`],
    processes: () => {
      const found: Record<string, number> = {};
      for (const name of ['app', 'temporal', 'kafka', 'prometheus']) {
        const pid = pidFromFile(path.join(RUN_DIR, `${name}.pid`));
        if (pid) found[name] = pid;
      }
      const pg = postmasterPid(pgHome);
      if (pg) found.postgres = pg;
      return found;
    },
  };
}

/** scripts/provision/postgres.sh's default: Debian's layout as root, else under the cache. */
const defaultPgHome = () => (os.userInfo().uid === 0 ? '/var/lib/postgresql/order-saga' : path.join(SAGA_CACHE, 'postgres'));

export type ProcessSample = { rssMiB: number; fds: number };

/** RSS and open file descriptors of a process; undefined when it is gone. */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    return { rssMiB: memoryOf(pid).rssMiB, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

/** How many children a process has (PostgreSQL's postmaster: its backends and background workers). */
export function childCount(pid: number): number {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean).length;
  } catch {
    return 0; // pgrep exits 1 when there are none
  }
}

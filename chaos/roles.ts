// The app's roles as separate processes (`node src/main.ts <role>`), each with its own log file under the run's
// results. kill -9 and restart by instance name; readiness through the role's own health endpoint (/ready for the
// API, /health/ready on METRICS_PORT for the others).
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export type RoleSpec = {
  name: string;
  role: 'api' | 'relay' | 'bridge' | 'worker' | 'notifier' | 'reconciler';
  port: number;
  /** Another checkout's entry point (the deploy drill's build B); default: this checkout's src/main.ts. */
  main?: string;
};

export class RoleProcess {
  readonly spec: RoleSpec;
  private child?: ChildProcess;
  private readonly env: Record<string, string>;
  private readonly logFile: string;
  starts = 0;
  /** Exits the harness did not cause (e.g. a role that cannot reach PostgreSQL at start exits), each restarted. */
  readonly unexpectedExits: string[] = [];
  private expectingExit = false;
  private supervising = true;

  constructor(spec: RoleSpec, env: Record<string, string>, logs: string) {
    this.spec = spec;
    this.env = { ...env, ...(spec.role === 'api' ? { PORT: String(spec.port) } : { METRICS_PORT: String(spec.port) }) };
    this.logFile = path.join(logs, `${spec.name}.log`);
  }

  get readyUrl() {
    return `http://127.0.0.1:${this.spec.port}${this.spec.role === 'api' ? '/ready' : '/health/ready'}`;
  }

  get alive() {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const out = openSync(this.logFile, 'a');
    this.starts++;
    this.expectingExit = false;
    const child = spawn(process.execPath, ['--no-warnings=TimeoutNegativeWarning', this.spec.main ?? mainPath, this.spec.role], {
      env: this.env,
      stdio: ['ignore', out, out],
    });
    this.child = child;
    // Like a supervisor (systemd, Kubernetes): a role process that exits on its own is started again after 2 s.
    child.once('exit', (code, signal) => {
      if (this.expectingExit || !this.supervising || this.child !== child) return;
      this.unexpectedExits.push(`${new Date().toISOString()} exit ${code ?? signal}`);
      setTimeout(() => {
        if (this.supervising && this.child === child) this.start();
      }, 2000);
    });
  }

  /** Answers 200 on its readiness endpoint. */
  async ready(): Promise<boolean> {
    if (!this.alive) return false;
    try {
      const res = await fetch(this.readyUrl, { signal: AbortSignal.timeout(5000) });
      await res.body?.cancel();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** Its readiness body (why it is not ready), for the report. */
  async readiness(): Promise<string> {
    try {
      const res = await fetch(this.readyUrl, { signal: AbortSignal.timeout(5000) });
      return `${res.status} ${await res.text()}`;
    } catch (err) {
      return `no answer: ${String(err)}`;
    }
  }

  async kill9(): Promise<void> {
    const child = this.child;
    this.expectingExit = true;
    if (!child || !this.alive) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Graceful stop at the end (SIGTERM, then SIGKILL after 20 s). */
  async stop(): Promise<void> {
    const child = this.child;
    this.supervising = false;
    this.expectingExit = true;
    if (!child || !this.alive) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Applies the schema once before the roles start, so several processes never race on the first migration. */
export async function migrate(env: Record<string, string>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', mainPath, 'migrate'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`migrate exited with ${code}:\n${output}`))));
  });
}

/**
 * The roles' environment in a chaos run: only what they need, so nothing from the shell (or a .env) may point them at
 * the shared services. The run's own services (or the proxies in front of them), a 1-s payment half declined, short
 * expiry and request timeouts, and a reconciler quick enough to repair within the settle time. `kafkaBroker` may list
 * several brokers, comma-separated.
 */
export function roleEnv(to: {
  databaseUrl: string;
  kafkaBroker: string;
  temporalAddress: string;
  expiryMs: number;
  /** --cluster: the app's topics created like the brokers' own (replication, min.insync.replicas, partitions). */
  topics?: { replicationFactor: string; minInsyncReplicas: string; partitions: string };
}): Record<string, string> {
  return {
    ...(to.topics && {
      KAFKA_REPLICATION_FACTOR: to.topics.replicationFactor,
      KAFKA_MIN_INSYNC_REPLICAS: to.topics.minInsyncReplicas,
      KAFKA_PARTITIONS: to.topics.partitions,
    }),
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    DATABASE_URL: to.databaseUrl,
    DB_POOL_MAX: '8',
    KAFKA_BROKERS: to.kafkaBroker,
    TEMPORAL_ADDRESS: to.temporalAddress,
    SEED_DEMO_DATA: 'false',
    PAYMENT_DURATION: '1s',
    PAYMENT_SUCCESS_RATE: '0.5',
    ORDER_EXPIRY: `${to.expiryMs}ms`,
    ORDER_REQUEST_TIMEOUT: '5s',
    HEALTH_MAX_LOOP_AGE: '15s',
    RECONCILE_INTERVAL: '5s',
    RECONCILE_GRACE: '15s',
  };
}

// The chaos run's own PostgreSQL cluster (chaos/services.ts, chaos/cluster-services.ts): initdb into the run's state
// directory, started, stopped immediately (the fault) and started again on its data with pg_ctl, from the binaries the
// stack's provisioning installed. Its own port; never the shared PostgreSQL on the default port.
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { exec } from './util.ts';

/** PostgreSQL refuses to run as root: then its files belong to, and its commands run as, the `postgres` user. */
const asRoot = process.getuid?.() === 0;
const pgCommand = (bin: string, args: string[]) =>
  (asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]) as [string, string[]];

export class OwnPostgres {
  readonly port: number;
  private readonly bin: string;
  private readonly home: string;
  private readonly logs: string;
  private running = false;

  constructor(opts: { bin: string; state: string; logs: string; port: number }) {
    this.bin = opts.bin;
    this.home = path.join(opts.state, 'pg');
    this.logs = opts.logs;
    this.port = opts.port;
    // The postgres user must reach its directory through the state directory.
    chmodSync(opts.state, 0o755);
  }

  get data() {
    return path.join(this.home, 'data');
  }

  private run(bin: string, args: string[], what: string): Promise<string> {
    const [cmd, argv] = pgCommand(path.join(this.bin, bin), args);
    return exec(cmd, argv, what);
  }

  /** initdb (trust on the socket, scram-sha-256 over TCP, as scripts/provision/postgres.sh), then started. */
  async init(): Promise<void> {
    mkdirSync(this.home, { recursive: true });
    if (asRoot) await exec('chown', ['postgres:postgres', this.home], 'chown');
    await this.run(
      'initdb',
      ['-D', this.data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8'],
      'initdb',
    );
    await this.start();
  }

  /** SQL as the superuser over the socket. */
  psql(sql: string): Promise<string> {
    return this.run('psql', ['-h', this.home, '-p', String(this.port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', sql], 'psql');
  }

  async start(): Promise<void> {
    await this.run(
      'pg_ctl',
      [
        '-D',
        this.data,
        '-l',
        path.join(this.home, 'postgres.log'),
        '-w',
        '-t',
        '60',
        'start',
        '-o',
        `-p ${this.port} -k ${this.home} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on`,
      ],
      'pg_ctl start',
    );
    this.running = true;
  }

  /** The fault: an immediate (crash-like) stop. */
  async stopImmediately(): Promise<void> {
    await this.run('pg_ctl', ['-D', this.data, '-m', 'immediate', 'stop'], 'pg_ctl stop -m immediate');
    this.running = false;
  }

  /** At the end: stopped if it runs, its log kept with the run's logs. */
  async tearDown(): Promise<void> {
    if (this.running || existsSync(path.join(this.data, 'postmaster.pid'))) {
      try {
        await this.stopImmediately();
      } catch {
        // Already down.
      }
      this.running = false;
    }
    const log = path.join(this.home, 'postgres.log');
    if (existsSync(log)) copyFileSync(log, path.join(this.logs, 'postgres.log'));
  }
}

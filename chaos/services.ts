// The chaos run's own PostgreSQL cluster, Kafka broker and Temporal dev server: own data directories and ports under
// the run's state directory, started from the binaries the stack's provisioning installed (scripts/stack.sh chaos
// passes their paths). Never the shared services on the default ports; only processes started here are signalled.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { searchAttributeFlags } from '../scripts/search-attributes.ts';
import { OwnPostgres } from './postgres.ts';
import { exec, kafkaClusterId, waitUntil } from './util.ts';

export type ServiceName = 'postgres' | 'kafka' | 'temporal';

export type ServicePorts = { pg: number; kafka: number; kafkaController: number; temporal: number };

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the chaos suite through npm run chaos / chaos:short (scripts/stack.sh chaos)`);
  return value;
};

export const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export class Services {
  readonly ports: ServicePorts;
  private readonly state: string;
  private readonly logs: string;
  private readonly kafkaLibs = need('CHAOS_KAFKA_LIBS');
  private readonly kafkaTemplates = need('CHAOS_KAFKA_TEMPLATES');
  private readonly temporalCli = need('CHAOS_TEMPORAL_CLI');
  private kafka?: ChildProcess;
  private temporal?: ChildProcess;
  private readonly pg: OwnPostgres;
  /** More flags for the Temporal dev server (the deploy drill's dynamic config). */
  private readonly temporalArgs: string[];

  constructor(state: string, logs: string, ports: ServicePorts, temporalArgs: string[] = []) {
    this.state = state;
    this.logs = logs;
    this.ports = ports;
    this.temporalArgs = temporalArgs;
    this.pg = new OwnPostgres({ bin: need('CHAOS_PG_BINDIR'), state, logs, port: ports.pg });
  }

  /** A URL for the app's role and database (trust on the socket, password over TCP as in scripts/provision). */
  databaseUrl(port = this.ports.pg) {
    return `postgres://saga:saga@127.0.0.1:${port}/order_saga`;
  }

  private run(cmd: [string, string[]], what: string): Promise<string> {
    return exec(cmd[0], cmd[1], what);
  }

  async init(): Promise<void> {
    await this.pg.init();
    await this.pg.psql(`create role saga login createdb password 'saga'`);
    await this.pg.psql('create database order_saga owner saga');

    const kafkaDir = path.join(this.state, 'kafka');
    mkdirSync(path.join(kafkaDir, 'data'), { recursive: true });
    let props = readFileSync(path.join(this.kafkaTemplates, 'server.properties.tmpl'), 'utf8');
    const values: Record<string, string> = {
      KAFKA_PORT: String(this.ports.kafka),
      KAFKA_CONTROLLER_PORT: String(this.ports.kafkaController),
      KAFKA_ADVERTISED_HOST: '127.0.0.1',
      KAFKA_DATA_DIR: path.join(kafkaDir, 'data'),
    };
    props = props.replace(/@([A-Z_]+)@/g, (_, name: string) => values[name] ?? `@${name}@`);
    writeFileSync(path.join(kafkaDir, 'server.properties'), props);
    copyFileSync(path.join(this.kafkaTemplates, 'log4j.properties'), path.join(kafkaDir, 'log4j.properties'));
    const clusterId = kafkaClusterId();
    await this.run(
      [
        'java',
        [
          ...this.javaArgs(),
          'kafka.tools.StorageTool',
          'format',
          `--cluster-id=${clusterId}`,
          '-c',
          path.join(kafkaDir, 'server.properties'),
        ],
      ],
      'kafka format',
    );
    await Promise.all([this.start('kafka'), this.start('temporal')]);
  }

  private javaArgs(): string[] {
    const kafkaDir = path.join(this.state, 'kafka');
    return [
      '-Xmx384m',
      '-Xms128m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${path.join(kafkaDir, 'log4j.properties')}`,
      `-Dkafka.logs.dir=${path.join(this.logs, 'kafka')}`,
      '-cp',
      `${this.kafkaLibs}/*`,
    ];
  }

  private out(name: string) {
    return openSync(path.join(this.logs, `${name}.log`), 'a');
  }

  async start(name: ServiceName): Promise<void> {
    if (name === 'postgres') return this.pg.start();
    if (name === 'kafka') {
      const out = this.out('kafka');
      this.kafka = spawn('java', [...this.javaArgs(), 'kafka.Kafka', path.join(this.state, 'kafka', 'server.properties')], {
        stdio: ['ignore', out, out],
      });
      await waitUntil(() => portOpen(this.ports.kafka), { timeoutMs: 90_000, what: 'chaos kafka broker' });
      return;
    }
    const out = this.out('temporal');
    const attributes = searchAttributeFlags().flatMap((flag) => ['--search-attribute', flag]);
    this.temporal = spawn(
      this.temporalCli,
      [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(this.ports.temporal),
        '--headless',
        '--db-filename',
        path.join(this.state, 'temporal.sqlite'),
        '--sqlite-pragma',
        'journal_mode=wal',
        '--sqlite-pragma',
        'synchronous=normal',
        '--namespace',
        'default',
        '--log-level',
        'warn',
        ...attributes,
        ...this.temporalArgs,
      ],
      { stdio: ['ignore', out, out] },
    );
    await waitUntil(() => this.temporalServing(), { timeoutMs: 60_000, what: 'chaos temporal dev server' });
  }

  private async temporalServing(): Promise<boolean> {
    const args = ['operator', 'cluster', 'health', '--address', `127.0.0.1:${this.ports.temporal}`];
    const out = await this.run(
      [this.temporalCli, [...args, '--disable-config-file', '--disable-config-env', '--command-timeout', '3s']],
      'health',
    );
    return out.includes('SERVING');
  }

  /** The fault itself: SIGKILL for Kafka and Temporal, an immediate (crash-like) stop for PostgreSQL. */
  async kill(name: ServiceName): Promise<void> {
    if (name === 'postgres') return this.pg.stopImmediately();
    const child = name === 'kafka' ? this.kafka : this.temporal;
    child?.kill('SIGKILL');
  }

  private async stopChild(child: ChildProcess | undefined): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Tears everything down (the run's data goes with its state directory). */
  async stopAll(): Promise<void> {
    await Promise.all([this.stopChild(this.kafka), this.stopChild(this.temporal)]);
    await this.pg.tearDown();
  }
}

// The production shape for the chaos suite's --cluster profile, all of it the run's own (data under the run's state
// directory, free ports; never the shared services): a PostgreSQL cluster that holds the app's database and the
// Temporal server's two, three KRaft Kafka nodes (each a broker and a controller) and a Temporal server on that
// PostgreSQL. Built from what the cluster stack uses: the binary scripts/provision/temporal-server.sh built, its schema
// applied with the server's own sql tool, and the settings in scripts/provision/cluster/ (temporal-server.yaml.tmpl,
// temporal-dynamicconfig.yaml, kafka-node.properties.tmpl + kafka-broker.properties), rendered, never copied.
// Like a supervisor, a broker or the Temporal server that exits on its own is started again after 2 s (listed in the
// report); the faults (kill -9, pg_ctl stop -m immediate) are the harness's and are not restarted by this.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { searchAttributeFlags } from '../scripts/search-attributes.ts';
import { activeController, placement, type Placement } from './kafka-roles.ts';
import { OwnPostgres } from './postgres.ts';
import { portOpen } from './services.ts';
import { exec, kafkaClusterId, say, sleep, waitUntil } from './util.ts';

const need = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the cluster chaos suite through npm run chaos:cluster (scripts/stack.sh chaos --cluster)`);
  return value;
};

/** The Temporal server's services, each with a port of its own (temporal-server.yaml.tmpl's placeholders). */
export const TEMPORAL_PORT_NAMES = [
  'TEMPORAL_PORT',
  'TEMPORAL_HISTORY_PORT',
  'TEMPORAL_MATCHING_PORT',
  'TEMPORAL_WORKER_PORT',
  'TEMPORAL_FRONTEND_MEMBERSHIP_PORT',
  'TEMPORAL_HISTORY_MEMBERSHIP_PORT',
  'TEMPORAL_MATCHING_MEMBERSHIP_PORT',
  'TEMPORAL_WORKER_MEMBERSHIP_PORT',
  'TEMPORAL_HTTP_PORT',
  'TEMPORAL_METRICS_PORT',
] as const;
const TEMPORAL_DB = { user: 'temporal', password: 'temporal', stores: { temporal: 'temporal', visibility: 'temporal_visibility' } };

export const NODES = [1, 2, 3] as const;
export type ClusterTarget = 'postgres' | 'temporal' | `kafka-${1 | 2 | 3}`;

export type ClusterPorts = {
  pg: number;
  brokers: Record<number, number>;
  controllers: Record<number, number>;
  /** The frontend first: the port clients use. */
  temporal: Record<(typeof TEMPORAL_PORT_NAMES)[number], number>;
};

/**
 * Fills @NAME@ placeholders; fails on one left unfilled outside comments, so a new setting in a template is never
 * silently kept raw.
 */
function render(template: string, values: Record<string, string>, what: string): string {
  const text = template.replace(/@([A-Z_]+)@/g, (all, name: string) => values[name] ?? all);
  const left = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .map((line) => /@[A-Z_]+@/.exec(line)?.[0])
    .find(Boolean);
  if (left) throw new Error(`${what}: no value for ${left}`);
  return text;
}

/** The value of one `key=value` line of a properties file. */
export function propertyOf(text: string, key: string): string {
  const line = text
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(`${key}=`));
  if (line === undefined) throw new Error(`no ${key} in the broker settings`);
  return line.slice(key.length + 1).trim();
}

export class ClusterServices {
  readonly ports: ClusterPorts;
  private readonly state: string;
  private readonly logs: string;
  private readonly kafkaLibs = need('CHAOS_KAFKA_LIBS');
  private readonly kafkaTemplates = need('CHAOS_KAFKA_TEMPLATES');
  private readonly temporalCli = need('CHAOS_TEMPORAL_CLI');
  private readonly serverHome = need('CHAOS_TEMPORAL_SERVER_HOME');
  private readonly templates = need('CHAOS_CLUSTER_TEMPLATES');
  private readonly pg: OwnPostgres;
  private readonly children = new Map<Exclude<ClusterTarget, 'postgres'>, ChildProcess>();
  /** Targets the harness took down on purpose (not restarted by the supervision). */
  private readonly down = new Set<ClusterTarget>();
  private stopping = false;
  /** Exits the harness did not cause, each started again. */
  readonly unexpectedExits: string[] = [];

  constructor(state: string, logs: string, ports: ClusterPorts) {
    this.state = state;
    this.logs = logs;
    this.ports = ports;
    this.pg = new OwnPostgres({ bin: need('CHAOS_PG_BINDIR'), state, logs, port: ports.pg });
  }

  /** The shared broker settings (replication 3, min.insync.replicas 2, …): the file the cluster stack appends. */
  get brokerSettings(): string {
    return readFileSync(path.join(this.templates, 'kafka-broker.properties'), 'utf8');
  }

  /** What the app's topics are created with, from the brokers' own settings (as scripts/cluster.sh does). */
  get topicSettings() {
    const s = this.brokerSettings;
    return {
      replicationFactor: propertyOf(s, 'default.replication.factor'),
      minInsyncReplicas: propertyOf(s, 'min.insync.replicas'),
      partitions: propertyOf(s, 'num.partitions'),
    };
  }

  get kafkaBrokers(): string[] {
    return NODES.map((n) => `127.0.0.1:${this.ports.brokers[n]}`);
  }

  get temporalPort() {
    return this.ports.temporal.TEMPORAL_PORT;
  }

  databaseUrl(port = this.ports.pg) {
    return `postgres://saga:saga@127.0.0.1:${port}/order_saga`;
  }

  private out(name: string) {
    return openSync(path.join(this.logs, `${name}.log`), 'a');
  }

  async init(): Promise<void> {
    await this.pg.init();
    await this.pg.psql(`create role saga login createdb password 'saga'`);
    await this.pg.psql('create database order_saga owner saga');
    await this.pg.psql(`create role ${TEMPORAL_DB.user} login createdb password '${TEMPORAL_DB.password}'`);

    // The brokers' JVMs boot while the Temporal schema is applied.
    await this.formatKafka();
    for (const n of NODES) await this.start(`kafka-${n}`, { wait: false });
    await this.temporalSchema();
    await this.start('temporal');
    await this.registerNamespace();
    await waitUntil(() => this.brokersUp(), { timeoutMs: 120_000, what: 'three chaos kafka brokers' });
  }

  private async brokersUp(): Promise<boolean> {
    return (await Promise.all(NODES.map((n) => portOpen(this.ports.brokers[n]!)))).every(Boolean);
  }

  private nodeDir(n: number) {
    return path.join(this.state, `kafka-${n}`);
  }

  private javaArgs(n: number): string[] {
    return [
      '-Xmx384m',
      '-Xms128m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${path.join(this.nodeDir(n), 'log4j.properties')}`,
      `-Dkafka.logs.dir=${path.join(this.logs, `kafka-${n}`)}`,
      '-cp',
      `${this.kafkaLibs}/*`,
    ];
  }

  /** Each node's configuration: kafka-node.properties.tmpl rendered, then the shared settings appended unchanged. */
  private async formatKafka(): Promise<void> {
    const template = readFileSync(path.join(this.templates, 'kafka-node.properties.tmpl'), 'utf8');
    const voters = NODES.map((n) => `${n}@127.0.0.1:${this.ports.controllers[n]}`).join(',');
    const clusterId = kafkaClusterId();
    await Promise.all(
      NODES.map(async (n) => {
        const dir = this.nodeDir(n);
        mkdirSync(path.join(dir, 'data'), { recursive: true });
        mkdirSync(path.join(this.logs, `kafka-${n}`), { recursive: true });
        const own = render(
          template,
          {
            NODE_ID: String(n),
            QUORUM_VOTERS: voters,
            BROKER_PORT: String(this.ports.brokers[n]),
            CONTROLLER_PORT: String(this.ports.controllers[n]),
            KAFKA_ADVERTISED_HOST: '127.0.0.1',
            DATA_DIR: path.join(dir, 'data'),
          },
          'kafka-node.properties.tmpl',
        );
        writeFileSync(path.join(dir, 'server.properties'), `${own}\n${this.brokerSettings}`);
        copyFileSync(path.join(this.kafkaTemplates, 'log4j.properties'), path.join(dir, 'log4j.properties'));
        await exec(
          'java',
          [
            ...this.javaArgs(n),
            'kafka.tools.StorageTool',
            'format',
            `--cluster-id=${clusterId}`,
            '-c',
            path.join(dir, 'server.properties'),
          ],
          `kafka-${n} format`,
        );
      }),
    );
  }

  /** Temporal's two databases, created and brought to the server's schema version by its sql tool (as tsrv_schema). */
  private async temporalSchema(): Promise<void> {
    const sql = path.join(this.serverHome, 'bin', 'sql');
    const base = [
      '--plugin',
      'postgres12',
      '--ep',
      '127.0.0.1',
      '-p',
      String(this.ports.pg),
      '-u',
      TEMPORAL_DB.user,
      '--pw',
      TEMPORAL_DB.password,
    ];
    await Promise.all(
      Object.entries(TEMPORAL_DB.stores).map(async ([store, db]) => {
        await exec(sql, [...base, '--db', db, 'create-database'], `temporal sql tool: create-database ${db}`);
        await exec(sql, [...base, '--db', db, 'setup-schema', '-v', '0.0'], `temporal sql tool: setup-schema ${db}`);
        await exec(
          sql,
          [...base, '--db', db, 'update-schema', '-d', path.join(this.serverHome, 'schema', store, 'versioned')],
          `temporal sql tool: update-schema ${db}`,
        );
      }),
    );
  }

  private renderServerConfig(): string {
    const file = path.join(this.state, 'temporal-server.yaml');
    const values: Record<string, string> = {
      PGPORT: String(this.ports.pg),
      TEMPORAL_DB: TEMPORAL_DB.stores.temporal,
      TEMPORAL_VISIBILITY_DB: TEMPORAL_DB.stores.visibility,
      TEMPORAL_DB_USER: TEMPORAL_DB.user,
      TEMPORAL_DB_PASSWORD: TEMPORAL_DB.password,
      DYNAMIC_CONFIG_FILE: path.join(this.templates, 'temporal-dynamicconfig.yaml'),
      ...Object.fromEntries(TEMPORAL_PORT_NAMES.map((name) => [name, String(this.ports.temporal[name])])),
    };
    const template = readFileSync(path.join(this.templates, 'temporal-server.yaml.tmpl'), 'utf8');
    writeFileSync(file, render(template, values, 'temporal-server.yaml.tmpl'));
    return file;
  }

  private cli(args: string[], what: string, timeout = '10s'): Promise<string> {
    return exec(
      this.temporalCli,
      [
        ...args,
        '--address',
        `127.0.0.1:${this.temporalPort}`,
        '--disable-config-file',
        '--disable-config-env',
        '--command-timeout',
        timeout,
      ],
      what,
    );
  }

  async temporalServing(): Promise<boolean> {
    return (await this.cli(['operator', 'cluster', 'health'], 'temporal health', '3s')).includes('SERVING');
  }

  /** The namespace and the workflow's search attributes (as tsrv_namespace does for the cluster stack). */
  private async registerNamespace(): Promise<void> {
    await this.cli(['operator', 'namespace', 'create', '--namespace', 'default', '--retention', '7d'], 'namespace create');
    // A new namespace is known to the frontend once its namespace cache refreshed.
    await waitUntil(
      async () => {
        await this.cli(['workflow', 'list', '--namespace', 'default', '--limit', '1'], 'workflow list');
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'namespace default' },
    );
    for (const flag of searchAttributeFlags()) {
      const [name, type] = flag.split('=') as [string, string];
      await this.cli(
        ['operator', 'search-attribute', 'create', '--namespace', 'default', '--name', name, '--type', type],
        `search attribute ${name}`,
      );
    }
  }

  private spawnChild(target: Exclude<ClusterTarget, 'postgres'>): ChildProcess {
    const out = this.out(target);
    const child =
      target === 'temporal'
        ? spawn(path.join(this.serverHome, 'bin', 'server'), ['--config-file', this.renderServerConfig(), '--allow-no-auth', 'start'], {
            stdio: ['ignore', out, out],
          })
        : spawn(
            'java',
            [
              ...this.javaArgs(Number(target.slice(-1))),
              'kafka.Kafka',
              path.join(this.nodeDir(Number(target.slice(-1))), 'server.properties'),
            ],
            {
              stdio: ['ignore', out, out],
            },
          );
    this.children.set(target, child);
    child.once('exit', (code, signal) => {
      if (this.stopping || this.down.has(target) || this.children.get(target) !== child) return;
      this.unexpectedExits.push(`${target} at ${new Date().toISOString()}: exit ${code ?? signal}`);
      say(`${target} exited on its own (${code ?? signal}); starting it again in 2 s`);
      setTimeout(() => {
        if (!this.stopping && !this.down.has(target) && this.children.get(target) === child)
          this.start(target).catch((err: unknown) => say(`${target} restart failed: ${String(err)}`));
      }, 2000);
    });
    return child;
  }

  /** Starts a target (again, on its data); waits until it serves unless told not to. */
  async start(target: ClusterTarget, { wait = true } = {}): Promise<void> {
    this.down.delete(target);
    if (target === 'postgres') return this.pg.start();
    this.spawnChild(target);
    if (!wait) return;
    if (target === 'temporal')
      await waitUntil(() => this.temporalServing(), { timeoutMs: 180_000, intervalMs: 1000, what: 'chaos temporal server' });
    // A KRaft broker opens its client port once it caught up with the metadata log: minutes on a starved machine.
    else await waitUntil(() => portOpen(this.ports.brokers[Number(target.slice(-1))]!), { timeoutMs: 300_000, what: target });
  }

  /** The fault: SIGKILL for a broker and the Temporal server, an immediate (crash-like) stop for PostgreSQL. */
  async kill(target: ClusterTarget): Promise<void> {
    this.down.add(target);
    if (target === 'postgres') return this.pg.stopImmediately();
    const child = this.children.get(target);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** The node ids of the active controller and of partition 0's leader of the app's first topic, now. */
  async kafkaRoles(): Promise<{ controller?: number; placement?: Placement; error?: string }> {
    const controllers = new Map(NODES.filter((n) => !this.down.has(`kafka-${n}`)).map((n) => [n, this.ports.controllers[n]!]));
    const controller = await activeController(controllers);
    try {
      return { controller, placement: await placement(this.kafkaBrokers) };
    } catch (err) {
      return { controller, error: String(err) };
    }
  }

  /** Waits until every partition has all its replicas in sync again (after a broker came back); the seconds it took. */
  async waitInSync(timeoutMs: number): Promise<number> {
    const start = Date.now();
    let last = 'no answer';
    for (;;) {
      try {
        const p = await placement(this.kafkaBrokers);
        if (p.partitions > 0 && p.underReplicated === 0) return (Date.now() - start) / 1000;
        last = `${p.underReplicated} of ${p.partitions} partitions under-replicated`;
      } catch (err) {
        last = String(err);
      }
      if (Date.now() - start >= timeoutMs) throw new Error(`replicas not in sync within ${timeoutMs / 1000} s: ${last}`);
      await sleep(1000);
    }
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await this.pg.tearDown();
  }
}

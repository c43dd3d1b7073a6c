// Lazily created, shared clients for the roles of one process (with role `all`, every role shares one pool each),
// closed in reverse order of creation at shutdown.
import { NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { initOrm, migrate, type Orm } from '../db/orm.ts';
import { seedIfEmpty } from '../seed/demo-seed.ts';
import { createKafka, Partitioners, type Kafka, type Producer } from '../messaging/kafka.ts';
import { clientOn, connectTemporal, temporalConnectionOptions } from '../temporal/connection.ts';
import { installTemporalRuntime } from '../temporal/runtime.ts';
import { OrderWorkflowClient } from '../temporal/order-workflow.client.ts';
import { Metrics } from '../metrics/metrics.ts';
import { freeLoopbackPort } from '../lib/free-port.ts';
import { temporalSdkMetrics } from '../metrics/temporal-sdk.ts';

/** How long the bridge's eager start may take (the worker's connection retries by itself while Temporal is away). */
const EAGER_START_DEADLINE_MS = 10_000;

/** Whether the bridge starts workflows eagerly: asked for, beside a worker in this process, and no worker versioning
 * (a draining build's process must not take new orders' first tasks). */
export function eagerStartApplies(config: Pick<Config, 'BRIDGE_EAGER_START' | 'WORKER_VERSIONING'>, roleNames: readonly string[]): boolean {
  return config.BRIDGE_EAGER_START && !config.WORKER_VERSIONING && roleNames.includes('worker') && roleNames.includes('bridge');
}

export class Resources {
  private closers: Array<() => Promise<void>> = [];
  private cache = new Map<string, Promise<unknown>>();
  private processMetrics: Metrics | undefined;
  private kafkaClient: Kafka | undefined;

  readonly config: Config;
  readonly log: Logger;
  /** The roles this process runs (main.ts): a bridge beside a worker may start workflows eagerly. */
  readonly roleNames: readonly string[];

  constructor(config: Config, log: Logger, roleNames: readonly string[] = []) {
    this.config = config;
    this.log = log;
    this.roleNames = roleNames;
  }

  private once<T>(key: string, create: () => Promise<T>, close: (value: T) => Promise<void>): Promise<T> {
    let value = this.cache.get(key) as Promise<T> | undefined;
    if (!value) {
      value = create().then((v) => {
        this.closers.push(() => close(v));
        return v;
      });
      this.cache.set(key, value);
    }
    return value;
  }

  orm(): Promise<Orm> {
    return this.once(
      'orm',
      async () => {
        const orm = await initOrm(this.config);
        await migrate(orm, this.log);
        if (this.config.SEED_DEMO_DATA) await seedIfEmpty(orm, this.log);
        return orm;
      },
      (orm) => orm.close(),
    );
  }

  /** The process's metrics registry, shared by its roles; undefined when METRICS_ENABLED=false. */
  metrics(): Metrics | undefined {
    if (!this.config.METRICS_ENABLED) return undefined;
    this.processMetrics ??= new Metrics();
    return this.processMetrics;
  }

  /** The process's Kafka client, shared by its roles. It holds no connection of its own: connections belong to the
   * producers, consumers and admins made from it, each closed by its owner. */
  kafka(): Kafka {
    this.kafkaClient ??= createKafka(this.config, this.log);
    return this.kafkaClient;
  }

  /**
   * An idempotent producer (acks from all replicas, one request in flight), connected on first use and shared by the
   * process's roles; the API asks for it only when an admin redrives dead letters. A failed connect is forgotten, so
   * the next call tries again.
   */
  producer(): Promise<Producer> {
    const producer = this.once(
      'producer',
      async () => {
        const p = this.kafka().producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
        await p.connect();
        return p;
      },
      (p) => p.disconnect(),
    );
    producer.catch(() => {
      if (this.cache.get('producer') === producer) this.cache.delete('producer');
    });
    return producer;
  }

  temporalClient(): Promise<Client> {
    return this.once(
      'temporal',
      () => connectTemporal(this.config),
      (client) => client.connection.close(),
    );
  }

  async orderWorkflows(): Promise<OrderWorkflowClient> {
    return new OrderWorkflowClient(await this.temporalClient(), this.orderWorkflowSettings());
  }

  private orderWorkflowSettings() {
    return {
      taskQueue: this.config.TEMPORAL_TASK_QUEUE,
      expiryMs: this.config.ORDER_EXPIRY,
      idPrefix: this.config.TEMPORAL_WORKFLOW_ID_PREFIX,
    };
  }

  /**
   * The bridge's workflow client: with BRIDGE_EAGER_START, a worker role in this process and no worker versioning, a
   * client on the worker's NativeConnection that starts workflows eagerly (the first task comes back in the start's
   * answer to that worker, skipping the task queue); otherwise the process's ordinary client.
   */
  async bridgeWorkflows(): Promise<OrderWorkflowClient> {
    const { config } = this;
    if (!eagerStartApplies(config, this.roleNames)) return this.orderWorkflows();
    const client = clientOn(await this.temporalWorkerConnection(), config);
    return new OrderWorkflowClient(client, { ...this.orderWorkflowSettings(), eagerStart: { deadlineMs: EAGER_START_DEADLINE_MS } });
  }

  temporalWorkerConnection(): Promise<NativeConnection> {
    return this.once(
      'temporal-native',
      async () => {
        const metrics = this.metrics();
        const port = metrics ? await freeLoopbackPort() : undefined;
        if (installTemporalRuntime(this.log, port ? { metricsBindAddress: `127.0.0.1:${port}` } : {})) {
          metrics?.addTextSource(temporalSdkMetrics(`http://127.0.0.1:${port}/metrics`));
        }
        return NativeConnection.connect(temporalConnectionOptions(this.config));
      },
      (c) => c.close(),
    );
  }

  async close(): Promise<void> {
    for (const close of this.closers.reverse()) {
      await close().catch((err: unknown) => this.log.warn({ err }, 'error while closing a resource'));
    }
    this.closers = [];
  }
}

// The HTTP API process: builds the app from real dependencies and listens on PORT.
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from '../api/app.ts';
import { CredentialStore, listenForCredentialChanges } from '../api/auth/credentials.ts';
import { createKafka } from '../messaging/kafka.ts';
import { lazyPublisher } from '../dead-letters/redrive.service.ts';
import { pgClientConfig } from '../db/pg-tls.ts';
import { registerSagaState, SAGA_STATE_KAFKA_RETRY } from '../health/saga-state.ts';
import { kafkaProbe, postgresProbe, temporalProbe } from '../health/readiness.ts';
import { sagaHealth } from '../health/saga-health.ts';
import { AdmissionControl } from '../health/admission.ts';
import { backlogMeter } from '../health/saga-measurements.ts';
import { sagaBacklog } from '../health/saga-backlog.ts';
import type { RoleStarter } from './role.ts';

export const startApiRole: RoleStarter = async (resources) => {
  const { config } = resources;
  const log = resources.log.child({ role: 'api' });
  const [orm, temporal] = await Promise.all([resources.orm(), resources.temporalClient()]);
  const metrics = resources.metrics();
  if (metrics) {
    // Measured on scrape (src/health/saga-state.ts). Its Kafka client retries briefly (a scrape during an outage fails
    // well within its deadline instead of leaving connection attempts behind) and stays quiet below debug (it would
    // log the outage at every scrape); saga_state_up{source="consumer_lag"} reports it instead.
    const kafkaLog = log.child({}, { level: log.isLevelEnabled('debug') ? log.level : 'silent' });
    const kafka = createKafka(config, kafkaLog, { retry: SAGA_STATE_KAFKA_RETRY });
    registerSagaState(metrics, { orm, kafka, topicPrefix: config.KAFKA_TOPIC_PREFIX });
  }
  // What /health/saga and admission control measure the saga's backlog with.
  const saga = {
    orm,
    kafka: resources.kafka(),
    temporal,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  };
  const admission = new AdmissionControl({
    measure: backlogMeter(saga),
    limits: {
      outboxAgeSeconds: config.ADMISSION_MAX_OUTBOX_AGE / 1000,
      bridgeLag: config.ADMISSION_MAX_BRIDGE_LAG,
      taskAgeSeconds: config.ADMISSION_MAX_TASK_AGE / 1000,
    },
    refreshMs: config.ADMISSION_CHECK_INTERVAL,
    onChange: (state) =>
      state.admitting
        ? log.info('admission: accepting new orders again')
        : log.warn({ reasons: state.reasons }, `admission: refusing new orders (503): ${state.reasons.join('; ')}`),
  });
  const credentials = new CredentialStore({ ttlMs: config.AUTH_CACHE_TTL });
  const credentialListener = config.AUTH_CACHE_TTL > 0 ? listenForCredentialChanges(pgClientConfig(config), credentials, log) : undefined;
  const app = createApp({
    orm,
    config,
    log,
    metrics,
    credentials,
    admission,
    sagaBacklog: sagaBacklog(saga),
    workflows: await resources.orderWorkflows(),
    // Connected at the first redrive: the API starts and serves without Kafka.
    redrivePublish: lazyPublisher(() => resources.producer()),
    probes: { postgres: postgresProbe(orm), kafka: kafkaProbe(resources.kafka()), temporal: temporalProbe(temporal) },
    sagaHealth: sagaHealth({
      ...saga,
      thresholds: {
        outboxAgeSeconds: config.SAGA_MAX_OUTBOX_AGE / 1000,
        bridgeLag: config.SAGA_MAX_BRIDGE_LAG,
        taskAgeSeconds: config.SAGA_MAX_TASK_AGE / 1000,
      },
    }),
  });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s));
    s.once('error', reject);
  });
  log.info(`listening on http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT}`);
  return {
    name: 'api',
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets would hold close() open; drop idle ones now, busy ones after their response.
        (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      await credentialListener?.stop();
    },
  };
};

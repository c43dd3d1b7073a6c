// The one place that reads process.env: every setting is validated at start (fail fast) and documented in
// docs/configuration.md and .env.example. Durations accept ms-style strings ("5s", "10m") or plain milliseconds.
import ms from 'ms';
import { z } from 'zod';
import { resolveEngineSettings, type EngineSettings } from './config-engines.ts';

const DEV_JWT_SECRET = 'dev-only-insecure-jwt-secret-change-me-0123456789';

const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = typeof value === 'number' || /^\d+$/.test(value) ? Number(value) : ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
    ctx.addIssue({ code: 'custom', message: `not a duration: "${value}" (use e.g. 5s, 10m or milliseconds)` });
    return z.NEVER;
  }
  return parsed;
});

const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
const port = z.coerce.number().int().min(1).max(65535);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: bool.optional(),
  PORT: port.default(3000),
  // Unset: loopback (127.0.0.1) in development and test, every interface (0.0.0.0) in production.
  HOST: z.string().min(1).optional(),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  DATABASE_URL: z.string().url().default('postgres://saga:saga@127.0.0.1:5432/order_saga'),
  DB_POOL_MAX: z.coerce.number().int().positive().default(20),
  // PostgreSQL TLS (libpq's sslmode meanings). Unset: DATABASE_URL's sslmode, else verify-full when a file below is
  // set, else disable. The URL's sslmode/sslrootcert/sslcert/sslkey are read here too (src/config-engines.ts).
  DATABASE_SSL_MODE: z.enum(SSL_MODES).optional(),
  DATABASE_SSL_CA_FILE: z.string().min(1).optional(),
  DATABASE_SSL_CERT_FILE: z.string().min(1).optional(),
  DATABASE_SSL_KEY_FILE: z.string().min(1).optional(),
  SEED_DEMO_DATA: bool.default(true),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    ),
  KAFKA_CLIENT_ID: z.string().default('order-saga'),
  // Managed Kafka: TLS to the brokers (unset: on when a file below is set) and SASL authentication.
  KAFKA_SSL: bool.optional(),
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  KAFKA_SSL_CERT_FILE: z.string().min(1).optional(),
  KAFKA_SSL_KEY_FILE: z.string().min(1).optional(),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  // Of the topics the service creates; 1 suits the local single broker, a cluster wants 3 and min.insync 2.
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(32).default(1),
  // Unset: the broker's min.insync.replicas.
  KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).max(32).optional(),
  // Prefixes keep environments that share one broker / Temporal namespace apart (the tests use them per run).
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  TEMPORAL_WORKFLOW_ID_PREFIX: z.string().default('order-'),
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(100).default(6),
  // OrderCreated events of one partition the bridge turns into workflow starts at once (each start is idempotent
  // and concerns its own order, so their order does not matter); 1 starts them one after another.
  BRIDGE_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(8),
  // A bridge in the same process as the worker asks Temporal to hand a new workflow's first task straight back to that
  // worker in the start's answer (eager workflow start), skipping the task queue. Off with worker versioning: a
  // draining build's process must not take new orders' first tasks.
  BRIDGE_EAGER_START: bool.default(true),
  OUTBOX_POLL_INTERVAL: duration.default(100),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('orders'),
  // Base URL of the Temporal Web UI the operator console (/ops) links each order's workflow to.
  TEMPORAL_UI_URL: z.string().url().default('http://localhost:8233'),
  // A Temporal cluster or Temporal Cloud: TLS (unset: on when any setting below is), server CA, client certificate
  // and key (mTLS), the name the server's certificate is checked against, and an API key (sent only over TLS).
  TEMPORAL_TLS: bool.optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').default(DEV_JWT_SECRET),
  JWT_ISSUER: z.string().default('order-saga'),
  JWT_AUDIENCE: z.string().default('order-saga-clients'),
  JWT_EXPIRES_IN: duration.default(60 * 60 * 1000),
  // Who may create, change and delete products: `any` logged-in user (the original contract) or only `admin`.
  // Unset: admin in production, any otherwise.
  PRODUCT_WRITE_ACCESS: z.enum(['any', 'admin']).optional(),
  // Login throttling (429 with Retry-After): failed logins per account, and attempts per client address, per window.
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
  LOGIN_MAX_ATTEMPTS_PER_ADDRESS: z.coerce.number().int().min(1).default(100),
  LOGIN_RATE_WINDOW: duration.default(15 * 60 * 1000),
  // Browser origins allowed to call the API (comma-separated, e.g. https://shop.example.com); empty: no CORS.
  // How long an API process may reuse a token check (the user's role and credential version) while it hears
  // PostgreSQL's change notifications; 0 reads the user on every request.
  AUTH_CACHE_TTL: duration.default(60_000),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  PAYMENT_DURATION: duration.default(5000),
  PAYMENT_SUCCESS_RATE: z.coerce.number().min(0).max(1).default(0.5),
  ORDER_EXPIRY: duration.default(10 * 60 * 1000),
  // How long a pay/cancel/status request waits for the order's workflow before answering 202 Accepted.
  ORDER_REQUEST_TIMEOUT: duration.default(10_000),
  // Temporal worker tuning. Each order in payment holds one local-activity slot and keeps its workflow task open
  // (workflow v4), and an open task needs its workflow in the cache: so the cache and the task slots bound how many
  // orders can be charged at once (20 orders/s × 5-s payments = 100), and the defaults leave 2.5 × that. The cache
  // also bounds the worker's memory: the SDK's own default follows the heap limit (≈ 2,300 workflows with Node's
  // default heap here, 1.5 GB RSS with 10,000 orders waiting); every workflow beyond the cache waits for its timer in
  // Temporal alone and is replayed from its history when it wakes. 0 turns the cache off.
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(250),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(500),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).default(250),
  // Workflow task polls open at once, and the share of them on the task queue every order's first workflow task
  // arrives on (the rest poll the worker's own sticky queue, which only sees later tasks: pay, cancel, expiry). Since
  // workflow v4 a paid order is that first task alone, so the SDK's default split (2 of 10 polls on that queue) left
  // free slots and a growing backlog under load while the CPU was not busy.
  WORKER_MAX_WORKFLOW_TASK_POLLS: z.coerce.number().int().min(2).default(20),
  WORKER_NONSTICKY_POLL_RATIO: z.coerce.number().gt(0).max(1).default(0.8),
  // Worker Deployment Versioning (docs/architecture.md#deploying-a-changed-workflow): a worker of build WORKER_BUILD_ID in
  // the deployment WORKER_DEPLOYMENT_NAME, whose order workflows are pinned to the build they started on. Off by
  // default: with it on, a build takes orders only once `npm run deploy -- current <buildId>` made it current, and the
  // dev stack and tests restart one worker on changed code all the time. Unset build id: derived from the workflow
  // sources (src/temporal/build-id.ts), so changed workflow code is a new build.
  WORKER_VERSIONING: bool.default(false),
  WORKER_DEPLOYMENT_NAME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, 'letters, digits, - and _ only (at most 100), e.g. order-saga')
    .default('order-saga'),
  WORKER_BUILD_ID: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ., - and _ only (at most 100), e.g. 2026-12-06.1 or a commit hash')
    .optional(),
  // GET /health/saga reports degraded past these (see src/health/saga-health.ts).
  SAGA_MAX_OUTBOX_AGE: duration.default(30_000),
  SAGA_MAX_BRIDGE_LAG: z.coerce.number().int().min(0).default(1000),
  SAGA_MAX_TASK_AGE: duration.default(30_000),
  // Admission control (src/health/admission.ts): PUT /api/order answers 503 past any of these; 0 switches one off.
  ADMISSION_MAX_OUTBOX_AGE: duration.default(120_000),
  ADMISSION_MAX_BRIDGE_LAG: z.coerce.number().int().min(0).default(10_000),
  ADMISSION_MAX_TASK_AGE: duration.default(60_000),
  ADMISSION_CHECK_INTERVAL: duration.default(2000),
  ADMISSION_RETRY_AFTER: duration.default(5000),
  // The reconciler role (src/reconciler/): how often it compares the database with Temporal, how old a disagreement
  // must be before it counts as drift, how much one pass reads per check, and whether it repairs or only reports.
  RECONCILE_INTERVAL: duration.default(30_000),
  RECONCILE_GRACE: duration.default(60_000),
  RECONCILE_BATCH: z.coerce.number().int().min(1).max(10_000).default(200),
  RECONCILE_MODE: z.enum(['repair', 'report']).default('repair'),
  RECONCILE_MAX_OUTBOX_AGE: duration.default(300_000),
  // Prometheus metrics (src/metrics/): false turns off /metrics, the request timing and the metrics server.
  METRICS_ENABLED: bool.default(true),
  // Port of the metrics-only server of a process without the API role (relay, bridge, worker, notifier run alone);
  // unset: such a process serves no metrics. A process with the API role serves /metrics on PORT.
  METRICS_PORT: port.optional(),
  // /health/ready on METRICS_PORT: a relay whose last completed polling round, or a consumer whose oldest failing
  // message, is older than this is not ready.
  HEALTH_MAX_LOOP_AGE: duration.default(30_000),
  // OpenTelemetry tracing (src/telemetry/): spans go over OTLP http/protobuf to <endpoint>/v1/traces (a collector,
  // Jaeger, Tempo). Unset: tracing is off and costs nothing.
  // Empty counts as unset, as the OpenTelemetry SDKs read their variables.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL, e.g. http://127.0.0.1:4318')
      .optional(),
  ),
  // Unset: order-saga-<role> (order-saga for role `all`).
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
});

/** Every variable the app reads (test/unit/config-docs.test.ts checks docs/configuration.md and .env.example name each). */
export const configVariables: readonly string[] = Object.keys(schema.shape);

type ParsedConfig = z.infer<typeof schema>;
export type Config = Omit<ParsedConfig, 'HOST' | 'PRODUCT_WRITE_ACCESS' | keyof EngineSettings> &
  EngineSettings & {
    HOST: string;
    PRODUCT_WRITE_ACCESS: 'any' | 'admin';
  };

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

export class ConfigError extends Error {}

/**
 * Names this service read before it took Temporal's own (those Temporal's SDKs and CLI read, @temporalio/envconfig),
 * still accepted: each old name → its Temporal name.
 */
export const RENAMED_VARIABLES: Readonly<Record<string, string>> = {
  TEMPORAL_TLS_CA_FILE: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  TEMPORAL_TLS_CERT_FILE: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY_FILE: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
};

type Env = Record<string, string | undefined>;

/** The environment with each old name's value under its new name; both set to different values is an error. */
function withRenamesApplied(env: Env): Env {
  const renamed: Env = { ...env };
  const clashes: string[] = [];
  for (const [old, current] of Object.entries(RENAMED_VARIABLES)) {
    const value = env[old];
    if (value === undefined || value === '') continue;
    if (env[current] !== undefined && env[current] !== '' && env[current] !== value) {
      clashes.push(`  ${old}: set next to ${current} with another value; keep ${current} only`);
    }
    renamed[current] ??= value;
  }
  if (clashes.length > 0) throw new ConfigError(`invalid configuration:\n${clashes.join('\n')}`);
  return renamed;
}

/** One warning per old name in use, for the log at start. */
export function renamedVariableWarnings(env: Env = process.env): string[] {
  return Object.entries(RENAMED_VARIABLES)
    .filter(([old]) => env[old] !== undefined && env[old] !== '')
    .map(([old, current]) => `${old} is deprecated: use ${current} (the name Temporal's SDKs and CLI read); the old name still works`);
}

/** Parses an environment (process.env by default); throws ConfigError listing every invalid variable. */
export function loadConfig(env: Env = process.env): Config {
  const result = schema.safeParse(withRenamesApplied(env));
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const engines = resolveEngineSettings(result.data);
  if (engines.issues.length > 0) {
    throw new ConfigError(`invalid configuration:\n${engines.issues.map((i) => `  ${i}`).join('\n')}`);
  }
  const production = result.data.NODE_ENV === 'production';
  const config: Config = {
    ...result.data,
    ...engines.settings,
    HOST: result.data.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    PRODUCT_WRITE_ACCESS: result.data.PRODUCT_WRITE_ACCESS ?? (production ? 'admin' : 'any'),
  };
  if (config.JWT_SECRET === DEV_JWT_SECRET) {
    if (production) {
      throw new ConfigError('invalid configuration:\n  JWT_SECRET: the dev-only default is refused when NODE_ENV=production');
    }
    if (!isLoopback(config.HOST)) {
      throw new ConfigError(
        `invalid configuration:\n  JWT_SECRET: the dev-only default is refused when listening beyond loopback (HOST=${config.HOST}); set a secret of your own`,
      );
    }
  }
  return config;
}

export function usesDevJwtSecret(config: Config): boolean {
  return config.JWT_SECRET === DEV_JWT_SECRET;
}

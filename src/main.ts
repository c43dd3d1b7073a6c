// Process entry point: `node src/main.ts <role|command>`.
//   roles:    api | relay | bridge | worker | notifier | reconciler | all (every role in one process), or a comma-separated list
//             of roles (e.g. `api,relay,bridge,notifier`: everything but the worker), started in the order of `all`
//   commands: migrate | seed (one-shot; the api role also migrates and, with SEED_DEMO_DATA, seeds at start)
// Owns the process lifecycle: SIGINT/SIGTERM stop the roles in reverse start order, then close shared clients.
import { ConfigError, loadConfig, renamedVariableWarnings, usesDevJwtSecret } from './config.ts';
import { createLogger } from './logger.ts';
import { Resources } from './roles/resources.ts';
import { seedIfEmpty } from './seed/demo-seed.ts';
import type { RoleStarter, RunningRole } from './roles/role.ts';
import { startMetricsServer, type MetricsServer } from './metrics/server.ts';
import { loopReadiness } from './lib/loop-state.ts';
import { installTracing, otlpTracesUrl } from './telemetry/tracing.ts';

/**
 * Each role's module, loaded only by a process that runs the role: a process of the worker alone (the cluster shape,
 * compose) neither loads nor keeps the API's routes and schemas or the other roles' code.
 */
const roles: Record<string, () => Promise<RoleStarter>> = {
  worker: async () => (await import('./roles/worker.role.ts')).startWorkerRole,
  notifier: async () => (await import('./roles/notifier.role.ts')).startNotifierRole,
  bridge: async () => (await import('./roles/bridge.role.ts')).startBridgeRole,
  relay: async () => (await import('./roles/relay.role.ts')).startRelayRole,
  api: async () => (await import('./roles/api.role.ts')).startApiRole,
  reconciler: async () => (await import('./roles/reconciler.role.ts')).startReconcilerRole,
};
/** Start order for `all`: consumers of work before its producers, so nothing waits on a missing role. */
const allRoles = ['worker', 'notifier', 'bridge', 'relay', 'api', 'reconciler'];
/** Stop order: first no new orders and no repairs, then the Kafka side together (each drains its own in-flight work), the worker last
 * so activities started for in-flight messages can finish. */
const stopWaves = [['api', 'reconciler'], ['relay', 'bridge', 'notifier'], ['worker']];

async function main(): Promise<void> {
  const what = process.argv[2] ?? 'all';
  const config = loadConfig();
  const log = createLogger(config).child({ role: 'main' });
  for (const warning of renamedVariableWarnings()) log.warn(warning);
  const asked = what === 'all' ? allRoles : what.split(',').map((n) => n.trim());
  const resources = new Resources(config, log, asked);

  if (what === 'migrate' || what === 'seed') {
    // Both apply pending migrations; seed also adds the demo data to an empty database (even if SEED_DEMO_DATA=false).
    const orm = await resources.orm();
    if (what === 'seed') await seedIfEmpty(orm, log);
    await resources.close();
    return;
  }
  const unknown = asked.filter((n) => !roles[n]);
  const names = allRoles.filter((n) => asked.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(
      `unknown role "${unknown.join(', ')}"; expected one of: ${[...Object.keys(roles), 'all', 'migrate', 'seed'].join(', ')}`,
    );
  }
  if (usesDevJwtSecret(config)) log.warn('JWT_SECRET is the built-in dev-only default; set your own outside development');
  // Before any client or worker is created: they take Temporal's tracing interceptors only if tracing is installed.
  const tracing = installTracing(config, what);
  if (tracing) log.info(`tracing: spans to ${otlpTracesUrl(config.OTEL_EXPORTER_OTLP_ENDPOINT!)}`);

  const running: RunningRole[] = [];
  let metricsServer: MetricsServer | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, stopping ${running.map((r) => r.name).join(', ')}`);
    for (const wave of stopWaves) {
      const inWave = running.filter((r) => wave.includes(r.name));
      await Promise.all(inWave.map((r) => r.stop().catch((err: unknown) => log.error({ err, role: r.name }, 'error while stopping'))));
    }
    await metricsServer?.close();
    await resources.close();
    // Exports the spans still buffered.
    await tracing?.shutdown().catch((err: unknown) => log.warn({ err }, 'could not flush the last spans'));
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  for (const name of names) {
    const start = await roles[name]!();
    running.push(await start(resources));
  }
  // The API role serves /metrics and its health on PORT; a process without it has its own server (metrics and the
  // roles' loop health) when METRICS_PORT is set.
  if (config.METRICS_PORT !== undefined && !names.includes('api')) {
    const loops = Object.fromEntries(running.flatMap((r) => (r.loop ? [[r.name, r.loop] as const] : [])));
    metricsServer = await startMetricsServer(resources.metrics(), {
      host: config.HOST,
      port: config.METRICS_PORT,
      ready: () => (stopping ? { ready: false, checks: { process: { ok: false, error: 'stopping' } } } : loopReadiness(loops)),
    });
    const base = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${metricsServer.port}`;
    log.info(`${resources.metrics() ? `metrics on ${base}/metrics, ` : ''}health on ${base}/health/live and /health/ready`);
  }
  log.info(`running: ${names.join(', ')}`);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error('fatal:', err);
  }
  process.exit(1);
});

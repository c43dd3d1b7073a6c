// Starts the real app (`node src/main.ts all`) as a child process against the test database and the real services,
// on a free port, with the run's own task queue, topic prefix and workflow-id prefix, so it never meets a stack a
// developer has running (or an earlier test run). Its reconciler only reports.
import { spawn, type ChildProcess } from 'node:child_process';
import { freeLoopbackPort } from '../../src/lib/free-port.ts';
import { fileURLToPath } from 'node:url';
import { eventually } from './eventually.ts';
import { testConfig, testRunId, testTopicPrefix } from './config.ts';
import { connectTemporal } from '../../src/temporal/connection.ts';
import { terminateRunningWorkflows } from './temporal.ts';

export type RunningApp = {
  url: string;
  port: number;
  /** Its /metrics: on PORT for a process with the API role, else on METRICS_PORT (which such a role must be given). */
  metricsUrl: string;
  /** Base URL of the server on METRICS_PORT (/health/live, /health/ready) of a process without the API role. */
  roleUrl: string;
  env: Record<string, string>;
  output: () => string;
  /** Stops the app, then terminates the workflows still running on its task queue; resolves with their number. */
  stop: () => Promise<number>;
};

const mainPath = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export async function startApp(env: Record<string, string> = {}, role = 'all'): Promise<RunningApp> {
  const port = await freeLoopbackPort();
  const fullEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'test',
    LOG_PRETTY: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    PORT: String(port),
    DATABASE_URL: process.env.TEST_DATABASE_URL ?? '',
    TEMPORAL_TASK_QUEUE: `orders-test-${testRunId}`,
    KAFKA_TOPIC_PREFIX: testTopicPrefix,
    TEMPORAL_WORKFLOW_ID_PREFIX: `order-test-${testRunId}-`,
    ORDER_REQUEST_TIMEOUT: '60s',
    // The test database holds every test file's orders, many finished by hand: a repairing reconciler in an app started
    // here would act on them. It reports only (test/integration/reconciler.test.ts tests the repairs on its own database).
    RECONCILE_MODE: 'report',
    ...env,
  };
  const child: ChildProcess = spawn(process.execPath, ['--no-warnings', mainPath, role], {
    env: fullEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  // A process without the API role has no HTTP port but its metrics server: it answers once the role has started.
  const hasApi = role === 'api' || role === 'all';
  const roleUrl = `http://127.0.0.1:${fullEnv.METRICS_PORT ?? ''}`;
  const metricsUrl = hasApi ? `${url}/metrics` : `${roleUrl}/metrics`;
  const readyUrl = hasApi ? `${url}/health` : `${roleUrl}/health/live`;
  try {
    if (!hasApi && !fullEnv.METRICS_PORT) throw new Error(`role ${role} answers no HTTP: give it METRICS_PORT to see it start`);
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode}:\n${output}`);
        return (await fetch(readyUrl)).status;
      },
      (status) => status === 200,
      { timeoutMs: 60_000, what: `app ${hasApi ? '/health' : '/health/live'}` },
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${String(err)}\n--- app output ---\n${output}`);
  }
  let stopped: Promise<number> | undefined;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    const client = await connectTemporal(testConfig());
    return terminateRunningWorkflows(client, fullEnv.TEMPORAL_TASK_QUEUE!).finally(() => client.connection.close());
  };
  return {
    url,
    port,
    metricsUrl,
    roleUrl,
    env: fullEnv,
    output: () => output,
    stop: () => (stopped ??= stop()),
  };
}

// Temporal test helpers. The time-skipping test server is the binary provisioned by scripts/stack.sh (never the
// SDK's download, which cannot work offline); its path arrives in TEMPORAL_TEST_SERVER_PATH.
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
// @temporalio/proto is CommonJS: its namespaces come through the default import.
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { workflowTracingModule } from '../../src/temporal/tracing.ts';
import { PRELOADED_MODULES } from '../../src/temporal/worker.ts';
import { searchAttributes } from '../../workflows/order.definitions.ts';

const { IndexedValueType } = proto.temporal.api.enums.v1;

/** The tests' bundle entry: the production workflows plus the test-only ones (smokeWorkflow). */
export const testWorkflowsPath = fileURLToPath(new URL('./test-workflows.ts', import.meta.url));

export function testServerPath(): string {
  const path = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (!path) throw new Error('TEMPORAL_TEST_SERVER_PATH is not set: run the tests through `npm test`');
  return path;
}

/** The workflow's custom search attributes (their one definition) as the operator API registers them. */
export const indexedSearchAttributes = (): Record<string, proto.temporal.api.enums.v1.IndexedValueType> =>
  Object.fromEntries(Object.values(searchAttributes).map((key) => [key.name, IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]));

/** The time-skipping test server, with the workflow's custom search attributes registered (it has no CLI flag). */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: indexedSearchAttributes(),
  });
  return env;
}

const bundles = new Map<boolean, Promise<WorkflowBundle>>();

/**
 * Bundles the tests' workflows (test-workflows.ts: the production ones plus the test-only ones) once per test file
 * (webpack is slow; the bundle is reused by every worker in the file). `tracing` adds Temporal's OpenTelemetry
 * workflow interceptors, which a worker created while tracing is installed needs (src/temporal/worker.ts).
 */
export function workflowBundle({ tracing = false }: { tracing?: boolean } = {}): Promise<WorkflowBundle> {
  let bundle = bundles.get(tracing);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath: testWorkflowsPath,
      // The production worker's bundle shape (src/temporal/worker.ts), so the tests run what it runs.
      preloadModules: PRELOADED_MODULES,
      ...(tracing && { workflowInterceptorModules: [workflowTracingModule] }),
      logger: {
        log: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: console.error,
        debug: () => undefined,
        trace: () => undefined,
      },
    });
    bundles.set(tracing, bundle);
  }
  return bundle;
}

/**
 * Terminates the workflows still running on a test's task queue, so a test run leaves nothing behind on a shared
 * dev server (orders waiting on a 10-minute expiry timer would otherwise outlive the run). Returns how many.
 */
export async function terminateRunningWorkflows(client: Client, taskQueue: string): Promise<number> {
  let terminated = 0;
  const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
  for await (const execution of client.workflow.list({ query })) {
    await client.workflow
      .getHandle(execution.workflowId, execution.runId)
      .terminate('test run finished')
      .then(() => (terminated += 1))
      .catch(() => undefined); // closed meanwhile
  }
  return terminated;
}

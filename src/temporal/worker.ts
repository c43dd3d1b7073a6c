// Temporal worker factory, the only place a worker is created (the worker role, the tests, the history recorder):
// a workflow bundle plus injected activities on one task queue. With tracing installed (src/telemetry/tracing.ts) it
// adds Temporal's OpenTelemetry interceptors and span sink (src/temporal/tracing.ts); a prebuilt `workflowBundle` must
// then have been bundled with `workflowTracingModule` among its workflowInterceptorModules.
import { fileURLToPath } from 'node:url';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { currentTracing } from '../telemetry/tracing.ts';
import type { Config } from '../config.ts';
import { tracingWorkerOptions } from './tracing.ts';

/** The production bundle's entry point: the workflows the `orders` task queue serves. */
export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/**
 * Modules the bundle loads once into the worker's shared V8 context instead of once per cached workflow. Only modules
 * without per-workflow state belong here: the SDK's (state lives in each workflow's activator) and our definitions,
 * which are immutable values. Cuts each cached workflow's memory (docs/performance.md).
 */
export const PRELOADED_MODULES = [
  '@temporalio/workflow',
  '@temporalio/common',
  fileURLToPath(new URL('../../workflows/order.definitions.ts', import.meta.url)),
  fileURLToPath(new URL('../domain/order-lifecycle.ts', import.meta.url)),
];

export type WorkerDeps = {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Omitted by a worker that runs workflows only. */
  activities?: object;
  /** Another bundle entry point to compile (tests add test-only workflows); default: the production `workflowsPath`. */
  workflowsPath?: string;
  /**
   * With Worker Deployment Versioning (WORKER_VERSIONING): the deployment version this worker polls as. It then gets
   * new workflows only while its version is current (or ramping), and the workflows it starts stay on it (pinned).
   */
  deployment?: WorkerDeploymentVersion;
} & Partial<
  Pick<
    WorkerOptions,
    | 'workflowBundle'
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentLocalActivityExecutions'
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'maxConcurrentWorkflowTaskPolls'
    | 'nonStickyToStickyPollRatio'
    | 'maxCachedWorkflows'
    | 'shutdownGraceTime'
  >
>;

/** A worker on `taskQueue`: runs a prebuilt `workflowBundle` if given, else bundles `workflowsPath`. */
export async function createWorker({
  connection,
  namespace,
  taskQueue,
  activities,
  workflowBundle,
  workflowsPath: entry = workflowsPath,
  deployment,
  ...rest
}: WorkerDeps): Promise<Worker> {
  const tracing = currentTracing();
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: entry, bundlerOptions: { preloadModules: PRELOADED_MODULES } }),
    shutdownGraceTime: '10s',
    // Every workflow of a versioned worker PINNED (OrderWorkflow's runs finish on the build they started on). Set here
    // rather than with setWorkflowOptions in the workflow: the server refuses a behavior from an unversioned worker.
    ...(deployment && {
      workerDeploymentOptions: { version: deployment, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' as const },
    }),
    ...(tracing && tracingWorkerOptions(tracing, { bundled: workflowBundle !== undefined })),
    ...rest,
  });
}

type WorkerTuning = Pick<
  WorkerDeps,
  | 'maxCachedWorkflows'
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentWorkflowTaskPolls'
  | 'nonStickyToStickyPollRatio'
>;

/** The worker's slots, cache and polls from the WORKER_* settings (the worker role and the benchmark's direct worker). */
export function workerTuning(config: Config): WorkerTuning {
  return {
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    // the SDK refuses more polls than task slots
    maxConcurrentWorkflowTaskPolls: Math.min(config.WORKER_MAX_WORKFLOW_TASK_POLLS, config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS),
    nonStickyToStickyPollRatio: config.WORKER_NONSTICKY_POLL_RATIO,
  };
}

// Temporal worker factory, the only place a worker is created (the worker role, the tests, the history recorder):
// a workflow bundle plus injected activities on one task queue. With tracing installed (src/telemetry/tracing.ts) it
// adds Temporal's OpenTelemetry interceptors and span sink (src/temporal/tracing.ts); a prebuilt `workflowBundle` must
// then have been bundled with `workflowTracingModule` among its workflowInterceptorModules.
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { currentTracing } from '../telemetry/tracing.ts';
import { tracingWorkerOptions } from './tracing.ts';

/** The production bundle's entry point: the workflows the `orders` task queue serves. */
export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

export type WorkerDeps = {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Omitted by a worker that runs workflows only. */
  activities?: object;
  /** Another bundle entry point to compile (tests add test-only workflows); default: the production `workflowsPath`. */
  workflowsPath?: string;
} & Partial<
  Pick<
    WorkerOptions,
    | 'workflowBundle'
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentLocalActivityExecutions'
    | 'maxConcurrentWorkflowTaskExecutions'
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
  ...rest
}: WorkerDeps): Promise<Worker> {
  const tracing = currentTracing();
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: entry }),
    shutdownGraceTime: '10s',
    ...(tracing && tracingWorkerOptions(tracing, { bundled: workflowBundle !== undefined })),
    ...rest,
  });
}

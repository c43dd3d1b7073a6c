// Temporal worker factory, the only place a worker is created (the worker role, the tests, the history recorder):
// a workflow bundle plus injected activities on one task queue.
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';

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
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: entry }),
    shutdownGraceTime: '10s',
    ...rest,
  });
}

// Temporal worker factory: the workflows/ bundle plus injected activities on one task queue.
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';

export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

export type WorkerDeps = {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: object;
} & Partial<Pick<WorkerOptions, 'workflowBundle' | 'maxConcurrentActivityTaskExecutions' | 'shutdownGraceTime'>>;

export async function createWorker({ connection, namespace, taskQueue, activities, workflowBundle, ...rest }: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    shutdownGraceTime: '10s',
    ...rest,
  });
}

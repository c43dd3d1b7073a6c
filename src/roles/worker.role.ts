// The Temporal worker process: runs OrderWorkflow and its activities on the `orders` task queue.
import { createActivities, SimulatedPaymentProvider } from '../../activities/index.ts';
import { createWorker } from '../temporal/worker.ts';
import type { RoleStarter } from './role.ts';

export const startWorkerRole: RoleStarter = async (resources) => {
  const { config } = resources;
  const log = resources.log.child({ role: 'worker' });
  const [connection, orm] = await Promise.all([resources.temporalWorkerConnection(), resources.orm()]);
  const paymentProvider = new SimulatedPaymentProvider({ durationMs: config.PAYMENT_DURATION, successRate: config.PAYMENT_SUCCESS_RATE });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities: createActivities({ orm, paymentProvider, log }),
    // Cache unset: the SDK's default (it follows the heap limit). See README "Performance".
    ...(config.WORKER_MAX_CACHED_WORKFLOWS !== undefined && { maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS }),
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
  });
  const running = worker.run();
  running.catch((err: unknown) => log.error({ err }, 'worker stopped with an error'));
  log.info(`polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS}`);
  return {
    name: 'worker',
    stop: async () => {
      worker.shutdown();
      await running.catch(() => undefined);
    },
  };
};

// The Temporal worker process: runs OrderWorkflow and its activities on the `orders` task queue.
import { createActivities, SimulatedPaymentProvider } from '../../activities/index.ts';
import type { Worker } from '@temporalio/worker';
import { createWorker, workerTuning } from '../temporal/worker.ts';
import { buildWorkflowBundle } from '../temporal/workflow-bundle.ts';
import { currentTracing } from '../telemetry/tracing.ts';
import { deploymentVersion } from '../temporal/build-id.ts';
import { deploymentStatus } from '../temporal/deployments.ts';
import type { LoopState } from '../lib/loop-state.ts';
import type { Logger } from '../logger.ts';
import type { Resources } from './resources.ts';
import type { RoleStarter } from './role.ts';

type WorkerStatus = ReturnType<Worker['getStatus']>;

/** Ready while the worker runs and both of its pollers (workflow and activity tasks) are polling. */
export function workerLoopState(status: WorkerStatus, failure?: string): LoopState {
  if (status.runState !== 'RUNNING') return { ok: false, error: `worker ${status.runState}${failure ? `: ${failure}` : ''}` };
  const pollers = { workflow: status.workflowPollerState, activity: status.activityPollerState };
  const idle = Object.entries(pollers).filter(([, state]) => state !== 'POLLING');
  if (idle.length > 0) return { ok: false, error: idle.map(([kind, state]) => `${kind} poller ${state}`).join(', ') };
  return { ok: true };
}

export const startWorkerRole: RoleStarter = async (resources) => {
  const { config } = resources;
  const log = resources.log.child({ role: 'worker' });
  // Before any connection: a versioned worker without a usable build id fails at start, naming the setting.
  const deployment = config.WORKER_VERSIONING ? deploymentVersion(config) : undefined;
  // The bundle is built in a thread of its own, so webpack's memory does not stay in this process (workflow-bundle.ts).
  const [connection, orm, workflowBundle] = await Promise.all([
    resources.temporalWorkerConnection(),
    resources.orm(),
    buildWorkflowBundle({ tracing: currentTracing() !== undefined, log }),
  ]);
  const paymentProvider = new SimulatedPaymentProvider({ durationMs: config.PAYMENT_DURATION, successRate: config.PAYMENT_SUCCESS_RATE });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities: createActivities({ orm, paymentProvider, log }),
    workflowBundle,
    deployment,
    ...workerTuning(config),
  });
  const running = worker.run();
  let failure: string | undefined;
  running.catch((err: unknown) => {
    failure = String(err);
    log.error({ err }, 'worker stopped with an error');
  });
  log.info(
    `polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS}` +
      (deployment ? ` as build ${deployment.buildId} of worker deployment "${deployment.deploymentName}"` : ''),
  );
  if (deployment) void noteRouting(resources, deployment.buildId, log);
  return {
    name: 'worker',
    loop: () => workerLoopState(worker.getStatus(), failure),
    stop: async () => {
      worker.shutdown();
      await running.catch(() => undefined);
    },
  };
};

/** A versioned worker gets new orders only while its build is current or ramping: say so when it is neither. */
async function noteRouting(resources: Resources, buildId: string, log: Logger): Promise<void> {
  const { config } = resources;
  try {
    const client = await resources.temporalClient();
    const status = await deploymentStatus({
      client,
      namespace: config.TEMPORAL_NAMESPACE,
      deploymentName: config.WORKER_DEPLOYMENT_NAME,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
    });
    if (status.current === buildId || status.ramping?.buildId === buildId) return;
    log.warn(
      `build ${buildId} is not current (current: ${status.current ?? 'none'}): it runs only the workflows pinned to it; ` +
        `\`npm run deploy -- current ${buildId}\` sends new orders to it`,
    );
  } catch (err) {
    log.warn({ err }, 'could not read the worker deployment');
  }
}

// The reconciler process: compares the database with Temporal every RECONCILE_INTERVAL and repairs the drift no other
// role repairs (src/reconciler/). Its /health/ready says whether its passes work.
import { Reconciler } from '../reconciler/reconciler.ts';
import type { RoleStarter } from './role.ts';

export const startReconcilerRole: RoleStarter = async (resources) => {
  const { config } = resources;
  const log = resources.log.child({ role: 'reconciler' });
  const [orm, workflows] = await Promise.all([resources.orm(), resources.orderWorkflows()]);
  const reconciler = new Reconciler({
    orm,
    workflows,
    log,
    metrics: resources.metrics(),
    settings: {
      intervalMs: config.RECONCILE_INTERVAL,
      graceMs: config.RECONCILE_GRACE,
      batch: config.RECONCILE_BATCH,
      mode: config.RECONCILE_MODE,
      maxOutboxAgeMs: config.RECONCILE_MAX_OUTBOX_AGE,
    },
  });
  const running = reconciler.start();
  log.info(
    `reconciling every ${config.RECONCILE_INTERVAL / 1000} s (${config.RECONCILE_MODE} mode, grace ${config.RECONCILE_GRACE / 1000} s)`,
  );
  return { name: 'reconciler', stop: running.stop, loop: () => running.loopState(config.HEALTH_MAX_LOOP_AGE) };
};

// The reconciler process: compares the database with Temporal every RECONCILE_INTERVAL and repairs the drift no other
// role repairs (src/reconciler/), and records every dead letter in PostgreSQL so an operator can list and redrive it
// (src/dead-letters/). Its /health/ready says whether both loops work.
import { loopReadiness } from '../lib/loop-state.ts';
import { appTopicOptions, ensureTopicsEventually } from '../messaging/admin.ts';
import { startDeadLetterRecorder } from '../dead-letters/dead-letter-recorder.ts';
import type { RunningConsumer } from '../messaging/consumer.ts';
import { Reconciler } from '../reconciler/reconciler.ts';
import type { RoleStarter } from './role.ts';

export const startReconcilerRole: RoleStarter = async (resources) => {
  const { config } = resources;
  const log = resources.log.child({ role: 'reconciler' });
  const [orm, workflows] = await Promise.all([resources.orm(), resources.orderWorkflows()]);
  const kafka = resources.kafka();
  const metrics = resources.metrics();
  const reconciler = new Reconciler({
    orm,
    workflows,
    log,
    metrics,
    settings: {
      intervalMs: config.RECONCILE_INTERVAL,
      graceMs: config.RECONCILE_GRACE,
      batch: config.RECONCILE_BATCH,
      mode: config.RECONCILE_MODE,
      maxOutboxAgeMs: config.RECONCILE_MAX_OUTBOX_AGE,
    },
  });
  const running = reconciler.start();
  // The .dlq topics must exist before the recorder subscribes. Kafka may be down now: the passes need it not, so the
  // recorder starts in the background once the topics are there, and the role is not ready until then.
  let recorder: RunningConsumer | undefined;
  let stopped = false;
  const recorderStarted = ensureTopicsEventually(kafka, appTopicOptions(config), log)
    .then(() => (stopped ? undefined : startDeadLetterRecorder({ orm, kafka, log, topicPrefix: config.KAFKA_TOPIC_PREFIX, metrics })))
    .then((started) => (recorder = started))
    .catch((err: unknown) => log.error({ err }, 'the dead-letter recorder did not start'));
  log.info(
    `reconciling every ${config.RECONCILE_INTERVAL / 1000} s (${config.RECONCILE_MODE} mode, grace ${config.RECONCILE_GRACE / 1000} s)`,
  );
  return {
    name: 'reconciler',
    stop: async () => {
      stopped = true;
      await Promise.all([running.stop(), recorderStarted.then(() => recorder?.stop())]);
    },
    loop: () => {
      const report = loopReadiness({
        passes: () => running.loopState(config.HEALTH_MAX_LOOP_AGE),
        'dead-letter recorder': () =>
          recorder?.loopState(config.HEALTH_MAX_LOOP_AGE) ?? { ok: false, error: 'not started yet (Kafka topics)' },
      });
      if (report.ready) return { ok: true };
      const failing = Object.entries(report.checks).filter(([, c]) => !c.ok);
      return { ok: false, error: failing.map(([name, c]) => (name === 'passes' ? c.error : `${name}: ${c.error}`)).join('; ') };
    },
  };
};

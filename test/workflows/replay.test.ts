// Determinism guard: histories recorded from real runs (scripts/record-histories.ts), one folder per workflow
// version, must all replay against the current workflow code. A change that alters the command sequence of any
// version still running somewhere fails here before it can break running orders. The sets of retired branches
// (retired-histories/: v1 and v2, whose patches went to deprecatePatch) must no longer replay: that they fail is what
// retiring a branch means, and why a deploy may not meet a run of them. Each version replays both without and
// with Temporal's OpenTelemetry workflow interceptors (what a worker runs when tracing is on): turning tracing on or off
// must never break a running order.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/temporal.ts';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const retiredDir = fileURLToPath(new URL('./retired-histories/', import.meta.url));
const RETIRED = ['v1-activities', 'v2-local-db-steps'];
const SCENARIOS = ['cancelled.json', 'completed.json', 'expired.json', 'paid-after-decline.json'];
const VERSIONS = ['v3-payment-due', 'v4-local-payment', 'v5-adopt-final-status', 'v6-resume-from-database'];
/** Scenarios recorded from a version on: since v5 the API records requests as signals, so one arrives mid-charge. */
const scenariosOf = (version: string) =>
  version < 'v5'
    ? SCENARIOS
    : [
        ...SCENARIOS,
        'paid-during-charge.json',
        ...(version < 'v6' ? [] : ['resumed-awaiting-payment.json', 'resumed-mid-charge.json']),
      ].sort();
type History = {
  events: Array<{
    eventType: string;
    activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
    markerRecordedEventAttributes?: { markerName?: string };
  }>;
};

const load = async (version: string, file: string) =>
  JSON.parse(await readFile(`${RETIRED.includes(version) ? retiredDir : dir}${version}/${file}`, 'utf8')) as History;
const scheduledActivities = (history: History) =>
  history.events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
const workflowTasks = (history: History) => history.events.filter((e) => /WORKFLOW_TASK_COMPLETED$/.test(e.eventType)).length;
const localSteps = (history: History) =>
  history.events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;

describe('OrderWorkflow replay', () => {
  it('when the history folders are listed, then every workflow version has all its scenarios', async () => {
    const versions = (await readdir(dir)).sort();
    expect(versions).toEqual(VERSIONS);
    for (const version of versions) expect((await readdir(dir + version)).sort()).toEqual(scenariosOf(version));
  });

  it.each(VERSIONS.flatMap((version) => [[version, 'without'] as const, [version, 'with'] as const]))(
    'when the %s histories are replayed %s the OpenTelemetry interceptors, then each replays without a determinism error',
    async (version, interceptors) => {
      const tracing = interceptors === 'with';
      const histories = await Promise.all(
        scenariosOf(version).map(async (file) => ({ workflowId: `${version}/${file}`, history: await load(version, file) })),
      );
      // Replay never calls the span sink: a tracing worker replaying a cached-out workflow exports nothing twice.
      const exported = new InMemorySpanExporter();
      const sinks = { exporter: makeWorkflowExporter(new SimpleSpanProcessor(exported), new Resource({ 'service.name': 'replay' })) };
      const options = { workflowBundle: await workflowBundle({ tracing }), ...(tracing && { sinks }) };
      const results: Array<{ workflowId: string; error?: string }> = [];
      for await (const result of Worker.runReplayHistories(options, histories)) {
        results.push({ workflowId: result.workflowId, ...(result.error ? { error: String(result.error) } : {}) });
      }
      expect(results).toEqual(histories.map(({ workflowId }) => ({ workflowId })));
      expect(exported.getFinishedSpans()).toEqual([]);
    },
  );

  it.each(RETIRED)('when the retired %s histories are replayed, then those that took the retired branch fail', async (version) => {
    expect((await readdir(retiredDir)).sort()).toEqual(RETIRED);
    const files = (await readdir(retiredDir + version)).sort();
    expect(files).toEqual(SCENARIOS);
    const histories = await Promise.all(
      files.map(async (file) => ({ workflowId: `${version}/${file}`, history: await load(version, file) })),
    );
    const failed: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      if (result.error) failed.push(result.workflowId);
    }
    // v1: every history (its database steps were activity tasks); v2: those that waited for payment without
    // recording its due time. A v2 order paid at once never reached the retired branch and still replays.
    const expected = version === 'v1-activities' ? files : ['cancelled.json', 'expired.json', 'paid-after-decline.json'];
    expect(failed).toEqual(expected.map((file) => `${version}/${file}`));
  });

  it('when a v1 and a v2 paid order are compared, then v2 schedules only the payment as an activity task', async () => {
    expect(scheduledActivities(await load('v1-activities', 'completed.json'))).toEqual([
      'markProcessing',
      'chargePayment',
      'completeOrder',
    ]);
    expect(scheduledActivities(await load('v2-local-db-steps', 'completed.json'))).toEqual(['chargePayment']);
  });

  it('when a v2 and a v3 expired order are compared, then v3 has one more local step (recording when payment is due)', async () => {
    expect(localSteps(await load('v2-local-db-steps', 'expired.json'))).toBe(2);
    expect(localSteps(await load('v3-payment-due', 'expired.json'))).toBe(3);
    expect(localSteps(await load('v3-payment-due', 'completed.json'))).toBe(2);
  });

  it('when a v3 and a v4 paid order are compared, then v4 charges in a local step: one workflow task and no activity task', async () => {
    const [v3, v4] = [await load('v3-payment-due', 'completed.json'), await load('v4-local-payment', 'completed.json')];
    expect([scheduledActivities(v3), workflowTasks(v3), localSteps(v3)]).toEqual([['chargePayment'], 2, 2]);
    expect([scheduledActivities(v4), workflowTasks(v4), localSteps(v4)]).toEqual([[], 1, 3]);
    for (const file of SCENARIOS) expect(scheduledActivities(await load('v4-local-payment', file))).toEqual([]);
  });

  it('when a pay is recorded while a v5 order is being charged, then it waits for the charge and completes the order', async () => {
    const history = await load('v5-adopt-final-status', 'paid-during-charge.json');
    const signalled = history.events.findIndex((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
    const timer = history.events.findIndex((e) => e.eventType === 'EVENT_TYPE_TIMER_STARTED');
    // The charge (declined) and the payment wait were decided in the first task; the signal's task ends the wait.
    expect([scheduledActivities(history), workflowTasks(history), localSteps(history)]).toEqual([[], 2, 4]);
    expect(timer).toBeGreaterThan(0);
    expect(signalled).toBeGreaterThan(timer);
    expect(history.events.at(-1)!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  });
});

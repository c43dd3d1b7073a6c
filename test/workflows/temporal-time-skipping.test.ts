// Real Temporal time-skipping test server: a 10-minute durable timer completes in (wall-clock) seconds.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createWorker } from '../../src/temporal/worker.ts';
import { smokeWorkflow } from './smoke.workflow.ts';
import { createTimeSkippingEnv, workflowBundle } from '../helpers/temporal.ts';

describe('Temporal time-skipping test server', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('when a workflow sleeps for 10 minutes, then it completes without waiting 10 real minutes', async () => {
    const worker = await createWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: 'smoke-time-skipping',
      workflowBundle: await workflowBundle(),
    });
    const tenMinutes = 10 * 60 * 1000;
    const result = await worker.runUntil(
      env.client.workflow.execute(smokeWorkflow, { args: [tenMinutes], workflowId: 'smoke-skip', taskQueue: 'smoke-time-skipping' }),
    );
    // Ten minutes passed on the workflow's clock; jest's own timeout (seconds) proves the wall clock did not wait.
    expect(result.sleptMs).toBeGreaterThanOrEqual(tenMinutes);
  });
});

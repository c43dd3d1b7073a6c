// Real Temporal dev server: a workflow runs on a worker and shows up in `temporal workflow list`.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { connectTemporal } from '../../src/temporal/connection.ts';
import { createWorker } from '../../src/temporal/worker.ts';
import { smokeWorkflow } from '../workflows/smoke.workflow.ts';
import { testConfig } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { workflowBundle } from '../helpers/temporal.ts';

const run = promisify(execFile);

describe('Temporal dev server', () => {
  const config = testConfig();
  let client: Client;
  let connection: NativeConnection;

  beforeAll(async () => {
    client = await connectTemporal(config);
    connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  });

  afterAll(async () => {
    await connection?.close();
    await client?.connection.close();
  });

  it('when a workflow completes, then `temporal workflow list` shows it', async () => {
    const taskQueue = `smoke-dev-${process.pid}`;
    const workflowId = `smoke-${process.pid}-${Date.now()}`;
    const worker = await createWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue,
      workflowBundle: await workflowBundle(),
    });
    const result = await worker.runUntil(client.workflow.execute(smokeWorkflow, { args: [10], workflowId, taskQueue }));
    expect(result.sleptMs).toBeGreaterThanOrEqual(10);

    const cli = process.env.TEMPORAL_CLI_PATH ?? 'temporal';
    const listed = await eventually(
      async () => {
        const { stdout } = await run(cli, [
          'workflow',
          'list',
          '--address',
          config.TEMPORAL_ADDRESS,
          '--query',
          `WorkflowId='${workflowId}'`,
          '--output',
          'json',
        ]);
        return JSON.parse(stdout || '[]') as Array<{ execution: { workflowId: string }; status: string }>;
      },
      (rows) => rows.length === 1 && rows[0]!.status.includes('COMPLETED'),
      { what: 'workflow visible in the list' },
    );
    expect(listed[0]!.execution.workflowId).toBe(workflowId);
  });
});

// The deploy's history check against the real Temporal dev server: the histories of order workflows that ran here
// (one completed, one still waiting for payment) replay against this checkout's workflow code, and fail against a
// changed, unversioned one; and the patches the open one recorded are listed.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkLiveHistories, defaultHistoryQuery } from '../../src/temporal/history-check.ts';
import { patchUsage } from '../../src/temporal/patch-usage.ts';
import { startTestApi, type TestApi } from '../helpers/api.ts';
import { eventually } from '../helpers/eventually.ts';
import { createOrder, createProduct, expectStatus, sql } from './api/support.ts';

let api: TestApi;
let query: string;

beforeAll(async () => {
  api = await startTestApi({}, { saga: true });
  const buyer = await api.newUser('Replayed Buyer');
  const product = await createProduct(api, buyer.token, { stock: 10 });
  const paid = await createOrder(api, buyer.token, [{ productId: product.id, quantity: 1 }]);
  const waiting = await createOrder(api, buyer.token, [{ productId: product.id, quantity: 1 }]);
  api.saga!.provider.approved.add(paid.id);
  for (const order of [paid, waiting]) {
    expectStatus(
      await api.request('POST', `/api/order/${order.id}`, { token: buyer.token, body: { id: order.id, status: 'Processing' } }),
      200,
    );
  }
  await eventually(
    async () => (await sql<{ status: string }>(api, 'select status from orders where id = ?', [paid.id]))[0]?.status,
    (s) => s === 'Completed',
    { what: 'the approved order completed' },
  );
  query = `TaskQueue = '${api.saga!.taskQueue}'`;
  // Visibility catches up with the runs a moment later.
  await eventually(
    async () => {
      const listed: string[] = [];
      for await (const execution of api.saga!.client.workflow.list({ query })) listed.push(execution.workflowId);
      return listed.length;
    },
    (n) => n === 2,
    { what: 'both runs listed' },
  );
});
afterAll(async () => {
  await api.close();
});

describe('checking live histories before a deploy', () => {
  it('when the running and recently closed order workflows are replayed against this code, then none fails', async () => {
    const result = await checkLiveHistories(api.saga!.client, { query });
    expect(result).toEqual({ query, checked: 2, failures: [] });
  });

  it('when they are replayed against a changed, unversioned workflow, then each is reported with its id and error', async () => {
    const changed = fileURLToPath(new URL('../helpers/changed-order-workflow.ts', import.meta.url));
    const result = await checkLiveHistories(api.saga!.client, { query, workflowsPath: changed });
    expect(result.checked).toBe(2);
    expect(result.failures).toHaveLength(2);
    for (const f of result.failures) {
      expect(f.workflowId).toMatch(/^order-t[0-9a-f]+-\d+$/);
      expect(f.error).toMatch(/[Nn]ondetermin/);
    }
  });

  it('when no query is given, then running orders and those closed in the last 24 hours are checked', () => {
    const now = new Date('2026-12-06T12:00:00.000Z');
    expect(defaultHistoryQuery(24, now)).toBe(
      "WorkflowType = 'orderWorkflow' AND (ExecutionStatus = 'Running' OR CloseTime > '2026-12-05T12:00:00.000Z')",
    );
  });

  it('when the patches of the open runs are listed, then the waiting run recorded every patch it reached', async () => {
    const usage = await patchUsage(api.saga!.client, `${query} AND ExecutionStatus = 'Running'`);
    expect(usage.map((u) => [u.patch, u.openRuns, u.recorded, u.mayNeedOldBranch])).toEqual([
      ['local-db-steps', 1, 1, 0],
      ['record-payment-due', 1, 1, 0],
      ['local-payment', 1, 1, 0],
      // Reached only by a run that finds its order already final: the waiting run has not, so it counts (safe side).
      ['adopt-final-status', 1, 0, 1],
    ]);
  });
});

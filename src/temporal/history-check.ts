// Replays live workflow histories against the workflow code of this checkout: the check a deploy runs before a new
// build takes over. Every OrderWorkflow still running, and every one closed recently, is fetched from the Temporal
// server and replayed; a history the current code would take a different path through (a non-determinism error) is
// reported with its workflow id, so a change that needs patched() is caught before it breaks a waiting order.
import type { Client } from '@temporalio/client';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { PRELOADED_MODULES, workflowsPath } from './worker.ts';

export type HistoryCheckOptions = {
  /** A visibility query; default: order workflows running now or closed within `closedWithinHours`. */
  query?: string;
  closedWithinHours?: number;
  /** At most this many histories (newest first, as visibility lists them). */
  limit?: number;
  /** The workflow code to replay against: a prebuilt bundle, or an entry file; default: this checkout's workflows. */
  workflowBundle?: WorkflowBundle;
  workflowsPath?: string;
};

export type HistoryCheckResult = {
  query: string;
  checked: number;
  failures: Array<{ workflowId: string; runId: string; error: string }>;
};

export function defaultHistoryQuery(closedWithinHours = 24, now = new Date()): string {
  const since = new Date(now.getTime() - closedWithinHours * 3600_000).toISOString();
  return `WorkflowType = 'orderWorkflow' AND (ExecutionStatus = 'Running' OR CloseTime > '${since}')`;
}

export async function checkLiveHistories(client: Client, options: HistoryCheckOptions = {}): Promise<HistoryCheckResult> {
  const query = options.query ?? defaultHistoryQuery(options.closedWithinHours);
  const limit = options.limit ?? 1000;
  const runs: Array<{ workflowId: string; runId: string }> = [];
  for await (const execution of client.workflow.list({ query })) {
    runs.push({ workflowId: execution.workflowId, runId: execution.runId });
    if (runs.length >= limit) break;
  }
  const runIdOf = new Map(runs.map((r) => [r.workflowId, r.runId]));
  async function* histories() {
    for (const { workflowId, runId } of runs) {
      yield { workflowId, history: await client.workflow.getHandle(workflowId, runId).fetchHistory() };
    }
  }
  const code = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : { workflowsPath: options.workflowsPath ?? workflowsPath, bundlerOptions: { preloadModules: PRELOADED_MODULES } };
  const failures: HistoryCheckResult['failures'] = [];
  let checked = 0;
  for await (const result of Worker.runReplayHistories(code, histories())) {
    checked++;
    if (result.error)
      failures.push({ workflowId: result.workflowId, runId: runIdOf.get(result.workflowId) ?? '', error: String(result.error) });
  }
  return { query, checked, failures };
}

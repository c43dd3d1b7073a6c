// Which open order workflows still need the old branch of each patched() marker: the question to answer before a
// marker may go to deprecatePatch and then away. A run that recorded the marker runs the new branch; a run that has
// not may need the old one (it started before the patch, or has not reached the call yet: counted as needing it, so
// the figure errs on the safe side). Read from each open run's history.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { ADOPT_FINAL_STATUS, LOCAL_DB_STEPS, LOCAL_PAYMENT, RECORD_PAYMENT_DUE } from '../../workflows/order.workflow.ts';

/** Every patch of OrderWorkflow, oldest first (deprecated ones included: new runs still record their markers). Not
 * RESUME_FROM_DATABASE: only a run started for an order already waiting reaches it, so every other run would count as
 * needing its old branch. */
export const ORDER_WORKFLOW_PATCHES = [LOCAL_DB_STEPS, RECORD_PAYMENT_DUE, LOCAL_PAYMENT, ADOPT_FINAL_STATUS] as const;

export type PatchUsage = { patch: string; openRuns: number; recorded: number; mayNeedOldBranch: number; sample: string[] };

type HistoryEvent = NonNullable<Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']>[number];

/** The patch ids a history recorded (core_patch markers). */
export function recordedPatches(events: HistoryEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const event of events) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') continue;
    const payload = marker.details?.['patch-data']?.payloads?.[0];
    const data = payload ? defaultPayloadConverter.fromPayload<{ id?: string }>(payload) : undefined;
    if (data?.id) ids.add(data.id);
  }
  return ids;
}

/** Per patch: open order workflows, how many recorded it, how many may still need its old branch (a few ids). */
export async function patchUsage(
  client: Client,
  query = "WorkflowType = 'orderWorkflow' AND ExecutionStatus = 'Running'",
): Promise<PatchUsage[]> {
  const usage = ORDER_WORKFLOW_PATCHES.map((patch) => ({ patch, openRuns: 0, recorded: 0, mayNeedOldBranch: 0, sample: [] as string[] }));
  for await (const run of client.workflow.list({ query })) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const recorded = recordedPatches(history.events ?? []);
    for (const u of usage) {
      u.openRuns++;
      if (recorded.has(u.patch)) u.recorded++;
      else {
        u.mayNeedOldBranch++;
        if (u.sample.length < 5) u.sample.push(run.workflowId);
      }
    }
  }
  return usage;
}

// An order's workflow history as timeline entries a person can read: started, each payment attempt and its outcome,
// the payment timer, accepted updates and signals, local database steps, status changes, and the end. Read-only and
// bounded by a deadline, so an unreachable Temporal makes the timeline say its workflow part is missing instead of
// hanging the request.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';

export type TimelineSource = 'database' | 'outbox' | 'workflow' | 'notifications' | 'reconciler';
export type TimelineEntry = { at: string; source: TimelineSource; event: string; detail: string };

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];
type Payloads = { payloads?: unknown[] | null } | null | undefined;

const HISTORY_DEADLINE_MS = 3000;

function decode(payloads: Payloads): unknown {
  const first = payloads?.payloads?.[0];
  if (!first) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(first);
  } catch {
    return undefined;
  }
}

const json = (value: unknown) => (value === undefined ? '' : JSON.stringify(value));

function timeOf(event: HistoryEvent): string {
  const t = event.eventTime;
  const ms = Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString();
}

function durationText(d: { seconds?: unknown; nanos?: number | null } | null | undefined): string {
  const seconds = Number(d?.seconds ?? 0) + (d?.nanos ?? 0) / 1e9;
  return `${Math.round(seconds)} s`;
}

/** One event → an entry, or undefined for the engine's bookkeeping (workflow tasks, activity starts, …). */
function entryOf(event: HistoryEvent, activityTypes: Map<string, string>): Omit<TimelineEntry, 'at' | 'source'> | undefined {
  if (event.workflowExecutionStartedEventAttributes) return { event: 'workflow-started', detail: 'the order workflow started' };
  const scheduled = event.activityTaskScheduledEventAttributes;
  if (scheduled) {
    activityTypes.set(String(event.eventId), scheduled.activityType?.name ?? 'activity');
    return { event: 'activity-scheduled', detail: `${scheduled.activityType?.name ?? 'activity'} scheduled` };
  }
  const completed = event.activityTaskCompletedEventAttributes;
  if (completed) {
    const type = activityTypes.get(String(completed.scheduledEventId)) ?? 'activity';
    return { event: 'activity-completed', detail: `${type} → ${json(decode(completed.result))}` };
  }
  const failed = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
  if (failed) {
    const type = activityTypes.get(String(failed.scheduledEventId)) ?? 'activity';
    const reason = failed.failure?.message ?? 'timed out';
    return { event: 'activity-failed', detail: `${type} attempt failed: ${reason} (retried by Temporal)` };
  }
  const marker = event.markerRecordedEventAttributes;
  // A patch marker records which version of the workflow code a run took: bookkeeping, not a step of the order.
  if (marker?.markerName === 'core_patch') return undefined;
  if (marker) {
    const data = decode(marker.details?.data) as { activity_type?: string } | undefined;
    const result = decode(marker.details?.result);
    const name = data?.activity_type ?? marker.markerName ?? 'marker';
    return { event: 'local-step', detail: `${name}${result === undefined ? '' : ` → ${json(result)}`}` };
  }
  if (event.timerStartedEventAttributes) {
    return {
      event: 'timer-started',
      detail: `waiting up to ${durationText(event.timerStartedEventAttributes.startToFireTimeout)} for payment`,
    };
  }
  if (event.timerFiredEventAttributes) return { event: 'timer-fired', detail: 'the payment deadline passed' };
  if (event.timerCanceledEventAttributes) return { event: 'timer-cancelled', detail: 'the wait ended before the deadline' };
  const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
  if (accepted) return { event: 'update-accepted', detail: `${accepted.acceptedRequest?.input?.name ?? 'update'} accepted` };
  const signal = event.workflowExecutionSignaledEventAttributes;
  if (signal) return { event: 'signal-received', detail: `${signal.signalName ?? 'signal'} ${json(decode(signal.input))}` };
  const upsert = event.upsertWorkflowSearchAttributesEventAttributes;
  if (upsert) {
    const fields = upsert.searchAttributes?.indexedFields ?? {};
    const status = Object.entries(fields).find(([key]) => key === 'OrderStatus')?.[1];
    // The SDK's own upserts (TemporalChangeVersion, written with each patch marker) are bookkeeping.
    if (!status) return undefined;
    return { event: 'status-recorded', detail: `OrderStatus = ${json(decode({ payloads: [status] }))}` };
  }
  const done = event.workflowExecutionCompletedEventAttributes;
  if (done) return { event: 'workflow-completed', detail: `finished with ${json(decode(done.result))}` };
  if (event.workflowExecutionFailedEventAttributes)
    return { event: 'workflow-failed', detail: event.workflowExecutionFailedEventAttributes.failure?.message ?? '' };
  if (event.workflowExecutionTerminatedEventAttributes)
    return { event: 'workflow-terminated', detail: event.workflowExecutionTerminatedEventAttributes.reason ?? '' };
  if (event.workflowExecutionTimedOutEventAttributes) return { event: 'workflow-timed-out', detail: '' };
  return undefined;
}

/** The workflow's part of an order's timeline; throws when Temporal does not answer in time or has no such workflow. */
export async function workflowTimeline(client: Client, workflowId: string): Promise<TimelineEntry[]> {
  const history = await client.connection.withDeadline(Date.now() + HISTORY_DEADLINE_MS, () =>
    client.workflow.getHandle(workflowId).fetchHistory(),
  );
  return timelineOf(history.events ?? []);
}

/** A workflow history's events as timeline entries, in history order. */
export function timelineOf(events: HistoryEvent[]): TimelineEntry[] {
  const activityTypes = new Map<string, string>();
  const entries: TimelineEntry[] = [];
  for (const event of events) {
    const entry = entryOf(event, activityTypes);
    if (entry) entries.push({ at: timeOf(event), source: 'workflow', ...entry });
  }
  return entries;
}

// Worker Deployment Versioning from the operator's side (npm run deploy, the worker's start-up note, the deploy drill):
// which builds of the worker deployment exist, which one new orders go to (current, and ramping with a share), how
// many open order workflows each still holds, and which builds have workers polling now. Making a build current or
// ramping is refused, with the reason, when no worker of it polls the task queue: its orders would wait for nobody.
import type { Client } from '@temporalio/client';
// @temporalio/proto is CommonJS: its namespaces come through the default import.
import proto from '@temporalio/proto';

const { TaskQueueType, WorkerDeploymentVersionStatus, VersionDrainageStatus } = proto.temporal.api.enums.v1;

/** A poller counts as polling when the server saw it this recently: an idle long poll is renewed about every minute. */
export const POLLER_FRESHNESS_MS = 90_000;

export type DeploymentTarget = { client: Client; namespace: string; deploymentName: string; taskQueue: string };

export type BuildStatus = {
  buildId: string;
  /** current, ramping, draining, drained or inactive (as the server reports the version). */
  status: string;
  /** draining or drained once no longer current or ramping (the server checks it now and then). */
  drainage?: string;
  /** Open order workflows pinned to this build (from visibility). */
  openWorkflows: number;
  /** Worker identities polling the task queue as this build now. */
  pollers: string[];
};

export type DeploymentStatus = {
  deploymentName: string;
  exists: boolean;
  current: string | null;
  ramping: { buildId: string; percent: number } | null;
  builds: BuildStatus[];
  /** Pollers without versioning (a worker with WORKER_VERSIONING=false): they get only unversioned workflows. */
  unversionedPollers: string[];
};

export class DeploymentRefused extends Error {}

const enumName = (names: Record<number, string>, value: number | null | undefined, prefix: string) =>
  value ? (names[value] ?? String(value)).replace(prefix, '').toLowerCase() : undefined;

const isNotFound = (err: unknown) => (err as { code?: number }).code === 5;

/** Worker identities polling the task queue now, per build id of this deployment ('' for unversioned pollers). */
export async function pollersByBuild(target: DeploymentTarget, now = Date.now()): Promise<Map<string, string[]>> {
  const { pollers } = await target.client.workflowService.describeTaskQueue({
    namespace: target.namespace,
    taskQueue: { name: target.taskQueue },
    taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const byBuild = new Map<string, string[]>();
  for (const p of pollers ?? []) {
    const seenAt = Number(p.lastAccessTime?.seconds ?? 0) * 1000;
    if (now - seenAt > POLLER_FRESHNESS_MS) continue;
    const options = p.deploymentOptions;
    const versioned = options?.workerVersioningMode === proto.temporal.api.enums.v1.WorkerVersioningMode.WORKER_VERSIONING_MODE_VERSIONED;
    if (versioned && options?.deploymentName !== target.deploymentName) continue;
    const key = versioned ? (options?.buildId ?? '') : '';
    byBuild.set(key, [...(byBuild.get(key) ?? []), p.identity ?? '?']);
  }
  return byBuild;
}

/** Open order workflows pinned to a build of the deployment. */
export async function openWorkflowsOn(target: DeploymentTarget, buildId: string): Promise<number> {
  const version = `${target.deploymentName}:${buildId}`;
  const { count } = await target.client.workflow.count(`TemporalWorkerDeploymentVersion = '${version}' AND ExecutionStatus = 'Running'`);
  return Number(count);
}

export async function deploymentStatus(target: DeploymentTarget): Promise<DeploymentStatus> {
  const pollers = await pollersByBuild(target);
  let info;
  try {
    info = (
      await target.client.workflowService.describeWorkerDeployment({ namespace: target.namespace, deploymentName: target.deploymentName })
    ).workerDeploymentInfo;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const routing = info?.routingConfig;
  const builds: BuildStatus[] = [];
  for (const v of info?.versionSummaries ?? []) {
    const buildId = v.deploymentVersion?.buildId ?? '';
    builds.push({
      buildId,
      status: enumName(WorkerDeploymentVersionStatus, v.status, 'WORKER_DEPLOYMENT_VERSION_STATUS_') ?? 'unknown',
      drainage: enumName(VersionDrainageStatus, v.drainageInfo?.status ?? v.drainageStatus, 'VERSION_DRAINAGE_STATUS_'),
      openWorkflows: await openWorkflowsOn(target, buildId),
      pollers: pollers.get(buildId) ?? [],
    });
  }
  return {
    deploymentName: target.deploymentName,
    exists: info !== undefined && info !== null,
    current: routing?.currentDeploymentVersion?.buildId ?? null,
    ramping: routing?.rampingDeploymentVersion?.buildId
      ? { buildId: routing.rampingDeploymentVersion.buildId, percent: routing.rampingVersionPercentage ?? 0 }
      : null,
    builds,
    unversionedPollers: pollers.get('') ?? [],
  };
}

/** Refuses a build no worker polls as now, naming what does poll; otherwise nothing. */
async function requirePollers(target: DeploymentTarget, buildId: string, what: string): Promise<void> {
  const pollers = await pollersByBuild(target);
  if ((pollers.get(buildId) ?? []).length > 0) return;
  const polling = [...pollers.keys()].filter(Boolean);
  throw new DeploymentRefused(
    `refused to make build ${buildId} ${what}: no worker of it polls task queue "${target.taskQueue}" in deployment ` +
      `"${target.deploymentName}" (seen in the last ${POLLER_FRESHNESS_MS / 1000} s), so new orders would wait for nobody. ` +
      `Start its workers first (WORKER_VERSIONING=true, WORKER_BUILD_ID=${buildId} or that code). ` +
      (polling.length > 0 ? `Builds polling now: ${polling.join(', ')}.` : 'No versioned worker of this deployment polls now.'),
  );
}

/** Makes a build the one new order workflows start on (ending any ramp); returns the previous current build. */
export async function setCurrent(target: DeploymentTarget, buildId: string, identity: string): Promise<string | null> {
  await requirePollers(target, buildId, 'current');
  const answer = await target.client.workflowService.setWorkerDeploymentCurrentVersion({
    namespace: target.namespace,
    deploymentName: target.deploymentName,
    buildId,
    identity,
  });
  return answer.previousDeploymentVersion?.buildId ?? null;
}

/** Sends `percent` of new order workflows to a build (0 keeps it ramping with none); the rest go to the current one. */
export async function setRamping(target: DeploymentTarget, buildId: string, percent: number, identity: string): Promise<void> {
  if (!(percent >= 0 && percent <= 100)) throw new DeploymentRefused(`a ramp is a percentage from 0 to 100, not ${percent}`);
  await requirePollers(target, buildId, 'ramping');
  await target.client.workflowService.setWorkerDeploymentRampingVersion({
    namespace: target.namespace,
    deploymentName: target.deploymentName,
    buildId,
    percentage: percent,
    identity,
  });
}

export type RunVersioning = {
  /** PINNED or AUTO_UPGRADE as the server records the run's versioning; undefined for an unversioned run. */
  behavior: string | undefined;
  /** The build the run is on (describe), '' when unversioned. */
  buildId: string;
  /** Every build that completed one of its workflow tasks (from its history), in order of first appearance. */
  historyBuilds: string[];
};

/** Where a workflow run is and has been: its versioning (describe) and the builds of its history's workflow tasks. */
export async function runVersioning(client: Client, workflowId: string, runId?: string): Promise<RunVersioning> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const [description, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
  const info = description.raw.workflowExecutionInfo?.versioningInfo;
  const builds = (history.events ?? []).flatMap((e) => e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId || []);
  return {
    behavior: enumName(proto.temporal.api.enums.v1.VersioningBehavior, info?.behavior, 'VERSIONING_BEHAVIOR_')?.toUpperCase(),
    buildId: info?.deploymentVersion?.buildId ?? '',
    historyBuilds: [...new Set(builds)],
  };
}

// npm run deploy -- status | current <buildId> | ramp <buildId> <percent> | build-id: the worker deployment
// (WORKER_DEPLOYMENT_NAME) on the Temporal server the app is configured for (TEMPORAL_*). `current` sends every new
// order workflow to a build, `ramp` a share of them (the rest stay on the current build); each is refused, with the
// reason, while no worker of that build polls. Running order workflows stay on the build they started on (pinned).
// `build-id` prints the build id this checkout's workflow code derives (what a worker without WORKER_BUILD_ID uses).
import os from 'node:os';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { workflowBuildId } from '../src/temporal/build-id.ts';
import { connectTemporal } from '../src/temporal/connection.ts';
import { installTemporalRuntime } from '../src/temporal/runtime.ts';
import {
  DeploymentRefused,
  deploymentStatus,
  POLLER_FRESHNESS_MS,
  setCurrent,
  setRamping,
  type DeploymentStatus,
} from '../src/temporal/deployments.ts';

const USAGE = 'usage: npm run deploy -- status | current <buildId> | ramp <buildId> <percent> | build-id';

export type DeployCommand =
  { kind: 'status' } | { kind: 'build-id' } | { kind: 'current'; buildId: string } | { kind: 'ramp'; buildId: string; percent: number };

/** The command line, or an Error with the usage. */
export function parseDeployArgs(args: string[]): DeployCommand {
  const [kind, buildId, percent, ...extra] = args;
  if (extra.length > 0) throw new Error(USAGE);
  if ((kind === 'status' || kind === 'build-id') && buildId === undefined) return { kind };
  if (kind === 'current' && buildId && percent === undefined) return { kind, buildId };
  if (kind === 'ramp' && buildId && percent !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(percent) || Number(percent) > 100) throw new Error(`ramp: a percentage from 0 to 100, not "${percent}"`);
    return { kind, buildId, percent: Number(percent) };
  }
  throw new Error(USAGE);
}

export function formatStatus(status: DeploymentStatus, thisCheckout?: string): string {
  const lines = [`worker deployment "${status.deploymentName}"${status.exists ? '' : ': none yet (no versioned worker has polled)'}`];
  lines.push(`  current: ${status.current ?? 'none (new orders go to unversioned workers)'}`);
  if (status.ramping) lines.push(`  ramping: ${status.ramping.buildId} at ${status.ramping.percent} %`);
  for (const b of status.builds) {
    const drainage = b.drainage && b.status !== 'current' && b.status !== 'ramping' ? ` (${b.drainage})` : '';
    lines.push(
      `  build ${b.buildId}${b.buildId === thisCheckout ? ' (this checkout)' : ''}: ${b.status}${drainage}, ` +
        `${b.openWorkflows} open order workflows pinned to it, ${b.pollers.length} workers seen polling`,
    );
  }
  if (status.unversionedPollers.length > 0) lines.push(`  unversioned workers seen polling: ${status.unversionedPollers.length}`);
  lines.push(`  (workers seen polling: in the last ${POLLER_FRESHNESS_MS / 1000} s, so a worker just stopped still counts)`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  let command: DeployCommand;
  try {
    command = parseDeployArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (command.kind === 'build-id') {
    console.log(workflowBuildId());
    return 0;
  }
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
  installTemporalRuntime(createLogger(config));
  const client = await connectTemporal(config);
  const target = {
    client,
    namespace: config.TEMPORAL_NAMESPACE,
    deploymentName: config.WORKER_DEPLOYMENT_NAME,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  };
  const identity = `deploy-cli:${os.userInfo().username}@${os.hostname()}`;
  try {
    if (command.kind === 'current') {
      const previous = await setCurrent(target, command.buildId, identity);
      console.log(`build ${command.buildId} is current (was: ${previous ?? 'none'}); running orders stay on their build`);
    } else if (command.kind === 'ramp') {
      await setRamping(target, command.buildId, command.percent, identity);
      console.log(`build ${command.buildId} ramping: ${command.percent} % of new orders`);
    }
    console.log(formatStatus(await deploymentStatus(target), workflowBuildId()));
    return 0;
  } catch (err) {
    if (err instanceof DeploymentRefused) {
      console.error(err.message);
      return 1;
    }
    console.error(`failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await client.connection.close();
  }
}

if (import.meta.main) process.exitCode = await main();

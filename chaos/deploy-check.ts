// The deploy drill's own reconciliation, on top of the suite's: read from Temporal, every order workflow is pinned and
// finished on the build it started on (its describe's deployment version, and the build of every workflow task its
// history completed), both builds ran orders, some build-A orders were still waiting when build B became current, and
// no worker logged a non-determinism error.
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { runVersioning } from '../src/temporal/deployments.ts';

export type Check = { count: number; examples: string[] };
export type VersioningReport = { checks: Record<string, Check>; info: Record<string, number | string> };

const NON_DETERMINISM = /nondetermin|non-determin|TMPRL1100/i;

/** Lines of the worker logs that report a non-determinism error. */
export function nonDeterminismLines(logFiles: string[]): string[] {
  return logFiles.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => NON_DETERMINISM.test(line))
      .map((line) => `${file.split('/').pop()}: ${line.slice(0, 300)}`),
  );
}

export async function checkVersioning(
  client: Client,
  opts: { buildA: string; buildB: string; switchedAt: number; workerLogs: string[] },
): Promise<VersioningReport> {
  const checks: Record<string, Check> = {};
  const fail = (name: string, example?: string) => {
    checks[name] ??= { count: 0, examples: [] };
    if (example === undefined) return;
    checks[name].count++;
    if (checks[name].examples.length < 10) checks[name].examples.push(example);
  };
  const names = {
    unpinned: 'order workflows not pinned',
    moved: 'order workflows not finished on the build they started on',
    elsewhere: 'order workflows on neither build',
    idleA: 'build-A orders still waiting when B became current (0: the drill proved nothing)',
    idleB: 'orders started on build B (0: B never took orders)',
    nde: 'non-determinism errors in worker logs',
  };
  for (const name of Object.values(names)) fail(name);

  // The latest run of each order workflow (a run the reconciler replaced counts as an earlier one).
  const latest = new Map<string, { runId: string; start: number; close?: number }>();
  for await (const wf of client.workflow.list({ query: "WorkflowType = 'orderWorkflow'" })) {
    const seen = latest.get(wf.workflowId);
    if (!seen || seen.start < wf.startTime.getTime())
      latest.set(wf.workflowId, { runId: wf.runId, start: wf.startTime.getTime(), close: wf.closeTime?.getTime() });
  }
  const perBuild: Record<string, number> = {};
  let waitingAtSwitch = 0;
  for (const [id, run] of latest) {
    const v = await runVersioning(client, id, run.runId);
    perBuild[v.buildId || 'unversioned'] = (perBuild[v.buildId || 'unversioned'] ?? 0) + 1;
    if (v.behavior !== 'PINNED') fail(names.unpinned, `${id}: ${v.behavior ?? 'unversioned'}`);
    if (v.buildId !== opts.buildA && v.buildId !== opts.buildB) fail(names.elsewhere, `${id}: ${v.buildId || 'unversioned'}`);
    if (v.historyBuilds.length !== 1 || v.historyBuilds[0] !== v.buildId)
      fail(names.moved, `${id}: on ${v.buildId}, workflow tasks completed by ${v.historyBuilds.join(', ') || 'none'}`);
    if (v.buildId === opts.buildA && (run.close === undefined || run.close > opts.switchedAt) && run.start < opts.switchedAt)
      waitingAtSwitch++;
  }
  if (waitingAtSwitch === 0) fail(names.idleA, 'no order of build A was open when B became current');
  if (!perBuild[opts.buildB]) fail(names.idleB, 'no order workflow ran on build B');
  for (const line of nonDeterminismLines(opts.workerLogs)) fail(names.nde, line);

  const info: VersioningReport['info'] = {
    'order workflows per build': Object.entries(perBuild)
      .map(([build, n]) => `${n} on ${build === opts.buildA ? `A (${build})` : build === opts.buildB ? `B (${build})` : build}`)
      .join(', '),
    'build-A orders open when B became current (finished on A)': waitingAtSwitch,
  };
  return { checks, info };
}

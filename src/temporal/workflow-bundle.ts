// The worker role's workflow bundle, built once at start in a worker thread of its own (workflow-bundle.thread.ts):
// the same bundle Worker.create would build from `workflowsPath` (same entry, preloaded modules and interceptor
// modules), but webpack and everything bundling allocates are gone with the thread, instead of staying in the worker
// process's heap for its whole life (docs/performance.md, the worker's memory).
import { Worker as Thread } from 'node:worker_threads';
import type { WorkflowBundle } from '@temporalio/worker';
import type { Logger } from '../logger.ts';
import { PRELOADED_MODULES, workflowsPath } from './worker.ts';
import { workflowTracingModule } from './tracing.ts';

export type BundleRequest = { workflowsPath: string; preloadModules: string[]; workflowInterceptorModules: string[] };
export type BundleMessage = { code: string } | { log: { level: 'WARN' | 'ERROR'; message: string; meta?: Record<string, unknown> } };

/** Bundles `entry` (default: the production workflows) with the production bundle's options; `tracing` adds Temporal's
 * OpenTelemetry workflow interceptors, which a tracing worker needs (src/temporal/worker.ts). */
export function buildWorkflowBundle({
  tracing,
  log,
  entry = workflowsPath,
}: {
  tracing: boolean;
  log?: Logger;
  entry?: string;
}): Promise<WorkflowBundle> {
  const request: BundleRequest = {
    workflowsPath: entry,
    preloadModules: PRELOADED_MODULES,
    workflowInterceptorModules: tracing ? [workflowTracingModule] : [],
  };
  const thread = new Thread(new URL('./workflow-bundle.thread.ts', import.meta.url), { workerData: request });
  return new Promise((resolve, reject) => {
    let bundle: WorkflowBundle | undefined;
    thread.on('message', (message: BundleMessage) => {
      if ('code' in message) bundle = { code: message.code };
      else if (message.log.level === 'ERROR') log?.error(message.log.meta ?? {}, message.log.message);
      else log?.warn(message.log.meta ?? {}, message.log.message);
    });
    thread.once('error', reject);
    thread.once('exit', (exitCode) => {
      if (bundle) resolve(bundle);
      else reject(new Error(`bundling the workflow code failed (thread exit code ${exitCode})`));
    });
  });
}

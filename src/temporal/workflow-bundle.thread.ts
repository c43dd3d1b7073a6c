// Runs in a worker thread started by buildWorkflowBundle (workflow-bundle.ts): bundles the workflow code with webpack
// and posts the code back. webpack's modules and the bundling's garbage live in this thread's V8 heap, which is
// released when the thread exits, instead of staying in the worker process's main heap.
import { parentPort, workerData } from 'node:worker_threads';
// The bundler alone: the package's entry point would also load the native core bridge into this thread.
import { bundleWorkflowCode } from '@temporalio/worker/lib/workflow/bundler.js';
import type { BundleRequest, BundleMessage } from './workflow-bundle.ts';

const { workflowsPath, preloadModules, workflowInterceptorModules } = workerData as BundleRequest;
const post = (message: BundleMessage) => parentPort!.postMessage(message);
const forward = (level: 'WARN' | 'ERROR') => (message: string, meta?: Record<string, unknown>) => post({ log: { level, message, meta } });
const drop = () => undefined;

const { code } = await bundleWorkflowCode({
  workflowsPath,
  preloadModules,
  workflowInterceptorModules,
  logger: { log: drop, trace: drop, debug: drop, info: drop, warn: forward('WARN'), error: forward('ERROR') },
});
post({ code });

// Temporal's side of tracing, from @temporalio/interceptors-opentelemetry: the client interceptor puts the caller's
// trace context into workflow start (and update, signal) headers; in the worker, the workflow interceptors (bundled
// into the workflow code) open spans for the run and for each activity it schedules, and the activity interceptors
// open the activity's span from the headers, so what an activity writes to the outbox joins the order's trace.
// Workflow spans leave the sandbox through the `exporter` sink into the process's span processor; the sink is not
// called on replay, so a replayed history exports nothing twice. Used only when tracing is installed.
import { createRequire } from 'node:module';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ClientInterceptors } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { Tracing } from '../telemetry/tracing.ts';

/** The workflow interceptor module, for the bundle (bundleWorkflowCode's workflowInterceptorModules). */
export const workflowTracingModule = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

export function tracingClientInterceptors(tracing: Tracing): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] };
}

/**
 * Interceptors and the span sink of a tracing worker. A worker given a prebuilt bundle (`bundled`) takes no workflow
 * modules: they are compiled into the bundle (the SDK would ignore them with a warning).
 */
export function tracingWorkerOptions(tracing: Tracing, { bundled = false } = {}): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      ...(!bundled && { workflowModules: [workflowTracingModule] }),
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) },
  };
}

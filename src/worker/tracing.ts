/**
 * The worker's part of a trace: the sink that receives the spans traced workflows make in their
 * sandbox (src/workflows/tracing-interceptors.ts), and a span per activity of a traced run, parent
 * of the model and Mission Control spans the clients make inside it.
 */
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import { currentTracing } from '../clients/tracing';

export interface WorkerTracing {
  sinks: InjectedSinks<OpenTelemetrySinks>;
  activity: ActivityInterceptorsFactory[];
}

/**
 * With tracing off the sink still exists and drops what it gets, so a run traced by an API with
 * tracing on does not make this worker log "unregistered sink"; no activity is intercepted.
 */
export async function workerTracing(): Promise<WorkerTracing> {
  const tracing = currentTracing();
  if (!tracing) return { sinks: { exporter: { export: { fn: () => undefined } } }, activity: [] };
  // Loaded only when tracing is on: it brings the OpenTelemetry SDK with it.
  const otel = await import('@temporalio/interceptors-opentelemetry');
  const traced: ActivityInterceptorsFactory = (ctx) => {
    const inbound = new otel.OpenTelemetryActivityInboundInterceptor(ctx);
    return {
      // Only activities of a traced run: an untraced one (the dispatcher's poll) would start a trace of its own.
      inbound: {
        execute: (input, next) =>
          input.headers[TRACE_HEADER] !== undefined ? inbound.execute(input, next) : next(input),
      },
      outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
    };
  };
  const exporter = otel.makeWorkflowExporter(tracing.processor, tracing.resource);
  return {
    sinks: {
      exporter: {
        export: {
          ...exporter.export,
          // The exporter copies the whole WorkflowInfo onto each span (memo, search attributes, last
          // failure, …): keep the ids only, so nothing a user wrote rides along.
          fn: (info, spans) => exporter.export.fn(workflowIds(info), spans),
        },
      },
    },
    activity: [traced],
  };
}

/** What a workflow span says about its run (cast back to WorkflowInfo, which the sink's type wants). */
function workflowIds(info: WorkflowInfo): WorkflowInfo {
  const { workflowId, runId, workflowType, namespace, taskQueue, attempt } = info;
  return { workflowId, runId, workflowType, namespace, taskQueue, attempt } as WorkflowInfo;
}

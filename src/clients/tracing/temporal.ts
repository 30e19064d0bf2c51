/**
 * The Temporal client's part of a trace: starting a workflow (and signalling, updating, cancelling
 * it) becomes a span whose context travels to the workflow in the `_tracer-data` header. Queries
 * and describes stay untraced: the API polls them (streams every 50 ms), and a span per poll would
 * bury the turn's trace.
 */
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import { isTracing } from './index';

/** For `new Client({ interceptors: { workflow } })`: none when tracing is off. */
export function tracingClientInterceptors(): WorkflowClientInterceptor[] {
  if (!isTracing()) return [];
  const otel = new OpenTelemetryWorkflowClientInterceptor();
  return [
    {
      start: (input, next) => otel.start(input, next),
      startWithDetails: (input, next) => otel.startWithDetails(input, next),
      signal: (input, next) => otel.signal(input, next),
      signalWithStart: (input, next) => otel.signalWithStart(input, next),
      startUpdate: (input, next) => otel.startUpdate(input, next),
      startUpdateWithStart: (input, next) => otel.startUpdateWithStart(input, next),
      cancel: (input, next) => otel.cancel(input, next),
      terminate: (input, next) => otel.terminate(input, next),
    },
  ];
}

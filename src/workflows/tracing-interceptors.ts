/**
 * Workflow interceptors for OpenTelemetry, bundled with the workflows (src/worker/workflow-bundle.ts).
 * They hand over to @temporalio/interceptors-opentelemetry only for a workflow whose start carried
 * a trace context (the `_tracer-data` header the API's client interceptor writes), and only for
 * signals and updates that carry one too. Everything else — the dispatcher's runs every few
 * seconds, stream-text signals, the API's polling queries — passes straight through: no span, no
 * sink call, and histories recorded before tracing replay exactly as before, because whether a run
 * is traced is read from its own history.
 *
 * A session (src/workflows/session.ts) runs the turns of many sends, each its own trace: it starts a
 * turn's child in the context of the `submitTurn` update (or signal) that brought it, not in the
 * context of whichever send happened to start the session run.
 */
import { context as otelContext } from '@opentelemetry/api';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import {
  TRACE_HEADER,
  extractContextFromHeaders,
} from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import type { Headers } from '@temporalio/common';
import type {
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { submitTurnSignal, submitTurnUpdate, type SubmitTurnRequest } from '../shared/session';

const carriesTrace = (headers: Headers) => headers[TRACE_HEADER] !== undefined;

/** Submits a session remembers the trace of; past this, the oldest is forgotten (its turn untraced). */
const MAX_PENDING_TRACES = 200;

/** The turn id a submit names, if `args` are a submit's. */
const submittedTurnId = (args: unknown[]): string | undefined =>
  (args[0] as Partial<SubmitTurnRequest> | undefined)?.turn?.turnId;

interface Otel {
  inbound: OpenTelemetryInboundInterceptor;
  outbound: OpenTelemetryOutboundInterceptor;
  internals: OpenTelemetryInternalsInterceptor;
}

export const interceptors = (): WorkflowInterceptors => {
  let otel: Otel | undefined;
  /** Built on first need: the OTel SDK's tracer in this workflow is made only for traced runs. */
  const traced = (): Otel =>
    (otel ??= {
      inbound: new OpenTelemetryInboundInterceptor(),
      outbound: new OpenTelemetryOutboundInterceptor(),
      internals: new OpenTelemetryInternalsInterceptor(),
    });

  /** Child workflow id → the trace header of the submit that asked for it (sessions only). */
  const pendingTraces = new Map<string, NonNullable<Headers[string]>>();
  const rememberSubmit = (name: string, args: unknown[], headers: Headers) => {
    if (name !== submitTurnUpdate.name && name !== submitTurnSignal.name) return;
    const turnId = submittedTurnId(args);
    const header = headers[TRACE_HEADER];
    if (!turnId || !header || pendingTraces.has(turnId)) return;
    pendingTraces.set(turnId, header);
    if (pendingTraces.size > MAX_PENDING_TRACES) pendingTraces.delete(pendingTraces.keys().next().value!);
  };

  const inbound: WorkflowInboundCallsInterceptor = {
    execute: (input, next) =>
      carriesTrace(input.headers) ? traced().inbound.execute(input, next) : next(input),
    handleSignal: (input, next) => {
      if (!carriesTrace(input.headers)) return next(input);
      rememberSubmit(input.signalName, input.args, input.headers);
      return traced().inbound.handleSignal(input, next);
    },
    handleUpdate: (input, next) => {
      if (!carriesTrace(input.headers)) return next(input);
      rememberSubmit(input.name, input.args, input.headers);
      return traced().inbound.handleUpdate(input, next);
    },
    validateUpdate: (input, next) =>
      carriesTrace(input.headers) ? traced().inbound.validateUpdate(input, next) : next(input),
  };

  // Outbound calls are traced when the run is: the activities, children and signals of a traced turn.
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (otel ? otel.outbound.scheduleActivity(input, next) : next(input)),
    scheduleLocalActivity: (input, next) =>
      otel ? otel.outbound.scheduleLocalActivity(input, next) : next(input),
    startChildWorkflowExecution: (input, next) => {
      if (!otel) return next(input);
      const submitted = pendingTraces.get(input.options.workflowId);
      if (submitted === undefined) return otel.outbound.startChildWorkflowExecution(input, next);
      pendingTraces.delete(input.options.workflowId);
      const { outbound: traceOutbound } = otel;
      const ctx = extractContextFromHeaders({ [TRACE_HEADER]: submitted }) ?? otelContext.active();
      return otelContext.with(ctx, () => traceOutbound.startChildWorkflowExecution(input, next));
    },
    continueAsNew: (input, next) => (otel ? otel.outbound.continueAsNew(input, next) : next(input)),
    signalWorkflow: (input, next) => (otel ? otel.outbound.signalWorkflow(input, next) : next(input)),
    getLogAttributes: (input, next) => (otel ? otel.outbound.getLogAttributes(input, next) : next(input)),
  };

  const internals: WorkflowInternalsInterceptor = {
    dispose: (input, next) => {
      // Its dispose is async but calls `next` before its first await, so disposal stays synchronous.
      if (otel) void otel.internals.dispose(input, next);
      else next(input);
    },
  };

  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};

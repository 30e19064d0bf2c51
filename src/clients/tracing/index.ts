/**
 * OpenTelemetry tracing for the API and the worker: one trace per turn, from the HTTP request
 * through the workflow start, the workflow and its activities, to the model call and each Mission
 * Control call (README, "Operations"). On only when `Config.tracing.tracesUrl` is set; otherwise no
 * SDK is loaded or started and every helper here returns straight to its caller.
 *
 * Spans carry names, ids, sizes, statuses and token counts, never message text, prompts, tool
 * arguments or credentials.
 */
import * as otel from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../../config';

export interface Tracing {
  /** Where every span of this process ends; the worker hands it the workflow spans too. */
  processor: SpanProcessor;
  resource: Resource;
  /** Exports what is buffered, then turns tracing off again (process exit, end of a test). */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** The running tracing of this process, if any. */
export function currentTracing(): Tracing | undefined {
  return active;
}

export function isTracing(): boolean {
  return active !== undefined;
}

/**
 * Starts the SDK when an OTLP endpoint is configured: W3C trace context, async-local context,
 * spans batched to the OTLP/HTTP exporter. Returns undefined (and loads nothing) when none is.
 * The SDK is the 1.x line because @temporalio/interceptors-opentelemetry 1.24.0 builds its
 * workflow spans with it; one line keeps a single ReadableSpan shape from workflow to exporter.
 */
export async function startTracing(
  config: Config['tracing'],
  defaultServiceName: string,
): Promise<Tracing | undefined> {
  if (!config.tracesUrl) return undefined;
  if (active) return active;
  const [{ AsyncLocalStorageContextManager }, core, resources, sdk] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  const exporterOptions = { url: config.tracesUrl, headers: config.headers };
  const exporter =
    config.protocol === 'http/json'
      ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(exporterOptions)
      : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(exporterOptions);
  const resource = new resources.Resource({ 'service.name': config.serviceName ?? defaultServiceName });
  // Explicit settings: the SDK would otherwise read OTEL_* itself, behind config.ts's back.
  const processor = new sdk.BatchSpanProcessor(exporter, {
    maxQueueSize: 2048,
    maxExportBatchSize: 512,
    scheduledDelayMillis: 2000,
    exportTimeoutMillis: 10_000,
  });
  const provider = new sdk.BasicTracerProvider({
    resource,
    sampler: new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() }),
  });
  provider.addSpanProcessor(processor);
  provider.register({
    contextManager: new AsyncLocalStorageContextManager(),
    propagator: new core.W3CTraceContextPropagator(),
  });
  const tracing: Tracing = {
    processor,
    resource,
    async shutdown() {
      if (active !== tracing) return;
      active = undefined;
      await provider.shutdown().catch(() => undefined);
      otel.trace.disable();
      otel.context.disable();
      otel.propagation.disable();
    },
  };
  active = tracing;
  return tracing;
}

/** `traces to http://collector:4318 (http/protobuf)` for start-up lines: the origin only, never path or headers. */
export function describeTracing(config: Config['tracing']): string {
  if (!config.tracesUrl) return 'tracing off';
  return `traces to ${new URL(config.tracesUrl).origin} (${config.protocol})`;
}

export function tracer(): otel.Tracer {
  return otel.trace.getTracer('clasper');
}

/** `traceparent` of a span, as the W3C header writes it. */
export function traceparentOf(span: otel.Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The trace context headers (`traceparent`) of the active span, for an outgoing request. */
export function propagationHeaders(): Record<string, string> {
  if (!active) return {};
  const carrier: Record<string, string> = {};
  otel.propagation.inject(otel.context.active(), carrier);
  return carrier;
}

/**
 * Runs `fn` in a CLIENT span that is active for its duration (so its own calls nest under it).
 * A failure marks the span with its type only: failure messages may quote a server's answer.
 */
export async function inClientSpan<T>(
  name: string,
  attributes: otel.Attributes,
  fn: (span: otel.Span | undefined) => Promise<T>,
): Promise<T> {
  if (!active) return fn(undefined);
  return tracer().startActiveSpan(name, { kind: otel.SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      markFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** `server.address` and `server.port` of a URL: never its path or userinfo, which may carry a secret. */
export function serverAttributes(baseUrl: string): otel.Attributes {
  const { hostname, port, protocol } = new URL(baseUrl);
  return {
    'server.address': hostname,
    'server.port': port ? Number(port) : protocol === 'https:' ? 443 : 80,
  };
}

/** ERROR status and `error.type`: the failure's type (`Model.RateLimited`) or class name, no message. */
export function markFailed(span: otel.Span, err: unknown): void {
  const type = failureTypeOf(err);
  span.setAttribute('error.type', type);
  span.setStatus({ code: otel.SpanStatusCode.ERROR, message: type });
}

function failureTypeOf(err: unknown): string {
  if (err && typeof err === 'object') {
    const { type, name } = err as { type?: unknown; name?: unknown };
    if (typeof type === 'string' && type !== '') return type;
    if (typeof name === 'string' && name !== '') return name;
  }
  return 'Error';
}

/**
 * The API request's span, root of a turn's trace (or child of the caller's, when it sends a W3C
 * `traceparent`): named `POST /api/agents/send` after the route, active while the handler runs so
 * the workflow start nests under it, and answered as `traceparent` on the reply. Its trace id is
 * `trace_id` in every log line of the request. Health probes, metrics scrapes and the docs are not
 * traced. With tracing off none of this is registered.
 *
 * A small hook pair rather than @fastify/otel: that plugin is built on the OpenTelemetry 2.x
 * packages while Temporal's interceptors 1.24.0 need the 1.x SDK, and it adds a span per hook.
 */
import type { IncomingMessage } from 'node:http';
import * as otel from '@opentelemetry/api';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { isTracing, markFailed, traceparentOf, tracer } from '../clients/tracing';

export const TRACEPARENT_HEADER = 'traceparent';
export const TRACE_ID_LOG_LABEL = 'trace_id';

const UNTRACED = /^\/(health|metrics|docs)(?:[/?]|$)/;
const spans = new WeakMap<IncomingMessage, otel.Span>();

/**
 * For Fastify's `childLoggerFactory`, which runs once per request before any log line: starts the
 * request's span there, so even "incoming request" carries `trace_id`. Undefined when tracing is off.
 */
export function tracingChildLoggerFactory(): FastifyServerOptions['childLoggerFactory'] {
  if (!isTracing()) return undefined;
  return (logger, bindings, opts, rawReq) => {
    const req = rawReq as IncomingMessage;
    if (UNTRACED.test(req.url ?? '/')) return logger.child(bindings, opts);
    const parent = otel.propagation.extract(otel.ROOT_CONTEXT, req.headers);
    const method = req.method ?? 'GET';
    const span = tracer().startSpan(
      method,
      { kind: otel.SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.scheme': 'http' } },
      parent,
    );
    spans.set(req, span);
    return logger.child({ ...bindings, [TRACE_ID_LOG_LABEL]: span.spanContext().traceId }, opts);
  };
}

/** Names, activates and ends the span tracingChildLoggerFactory started. No-op when tracing is off. */
export function registerRequestTracing(app: FastifyInstance): void {
  if (!isTracing()) return;
  app.addHook('onRequest', (request, reply, done) => {
    const span = spans.get(request.raw);
    if (span) {
      // The route's template, never the URL: paths and queries carry ids and user input.
      const route = request.routeOptions.url;
      if (route) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      reply.header(TRACEPARENT_HEADER, traceparentOf(span));
      // Ended when the response closes, not in onResponse: a streamed reply hijacks the response,
      // and Fastify runs no onResponse hook for it.
      reply.raw.once('close', () => {
        spans.delete(request.raw);
        if (reply.raw.writableEnded) {
          span.setAttribute('http.response.status_code', reply.raw.statusCode);
          if (reply.raw.statusCode >= 500) span.setStatus({ code: otel.SpanStatusCode.ERROR });
        } else markFailed(span, { type: 'ClientAborted' });
        span.end();
      });
    }
    done();
  });
  // The handler runs synchronously inside `done`, so everything it awaits inherits the span.
  app.addHook('preHandler', (request, _reply, done) => {
    const span = spans.get(request.raw);
    if (!span) return done();
    otel.context.with(otel.trace.setSpan(otel.ROOT_CONTEXT, span), done);
  });
}

/**
 * Tracing off (no OTLP endpoint, the default): no SDK starts, and every tracing hook hands back
 * what it was given, so a process without tracing runs the code it ran before tracing existed.
 */
import * as otel from '@opentelemetry/api';
import { loadConfig } from '../../../../src/config';
import type { ModelClient } from '../../../../src/clients/model/call-model';
import {
  inClientSpan,
  isTracing,
  propagationHeaders,
  startTracing,
  traceparentOf,
} from '../../../../src/clients/tracing';
import { tracedModelClient } from '../../../../src/clients/tracing/model';
import { tracingClientInterceptors } from '../../../../src/clients/tracing/temporal';

describe('tracing off', () => {
  const config = loadConfig({});

  it('starts nothing without an endpoint: the global tracer stays the no-op one', async () => {
    expect(await startTracing(config.tracing, 'clasper-test')).toBeUndefined();
    expect(isTracing()).toBe(false);
    const span = otel.trace.getTracer('x').startSpan('y');
    expect(span.isRecording()).toBe(false);
    expect(otel.isSpanContextValid(span.spanContext())).toBe(false);
  });

  it('adds no interceptor, no wrapper, no header and no span', async () => {
    const model: ModelClient = { callModel: async () => Promise.reject(new Error('not called')) };
    expect(tracedModelClient(model, config.llm)).toBe(model);
    expect(tracingClientInterceptors()).toEqual([]);
    expect(propagationHeaders()).toEqual({});
    await expect(inClientSpan('x', {}, async (span) => span)).resolves.toBeUndefined();
  });
});

describe('traceparentOf', () => {
  it('writes the W3C header of a span context', () => {
    const span = otel.trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: otel.TraceFlags.SAMPLED,
    });
    expect(traceparentOf(span)).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  });
});

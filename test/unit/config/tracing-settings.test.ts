/** The OpenTelemetry exporter settings (README, "Operations"): standard OTEL_* names, checked at start. */
import { loadConfig } from '../../../src/config';
import { configProblems } from './problems';

describe('tracing settings', () => {
  it('is off without an endpoint', () => {
    expect(loadConfig({}).tracing).toEqual({ tracesUrl: undefined, protocol: 'http/protobuf', headers: {} });
  });

  it('sends traces to <endpoint>/v1/traces, or to the traces endpoint as given', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.tracesUrl).toBe(
      'http://collector:4318/v1/traces',
    );
    const both = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otlp.example.com/otlp/traces',
    });
    expect(both.tracing.tracesUrl).toBe('https://otlp.example.com/otlp/traces');
  });

  it('reads the protocol, the headers (URL-decoded) and the service name', () => {
    const { tracing } = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc, x-scope=team-1',
      OTEL_SERVICE_NAME: 'clasper-eu',
    });
    expect(tracing).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      protocol: 'http/json',
      headers: { authorization: 'Bearer abc', 'x-scope': 'team-1' },
      serviceName: 'clasper-eu',
    });
  });

  it('names what is wrong: grpc, a non-URL endpoint, a header without a value', () => {
    expect(
      configProblems({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317',
        OTEL_EXPORTER_OTLP_HEADERS: 'api-key',
      }),
    ).toEqual([
      "OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, got 'collector:4317'",
      "OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (grpc is not supported: use the collector's OTLP/HTTP port, 4318), got 'grpc'",
      "OTEL_EXPORTER_OTLP_HEADERS must be key=value pairs separated by commas, got 'api-key'",
    ]);
  });
});

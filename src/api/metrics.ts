/**
 * Prometheus metrics of the API process (served at GET /metrics): request latency by route
 * pattern, and the turns the send route started and saw finish. Each app gets its own registry,
 * so several apps in one process (tests) never share or collide on counters.
 *
 * These count what this API process observed. A turn answered 202 (`?wait=false`, or still running
 * at CLASPER_SEND_TIMEOUT_SEC) finishes unseen here; the worker's Temporal metrics
 * (`temporal_workflow_completed` / `_failed`) count every turn, whichever process started it.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { TurnOutcome } from './turns';

/** Seconds. A route answers in milliseconds; a synchronous send waits for the whole turn. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** What the send route reports; a tiny interface so routes need not know about prom-client. */
export interface TurnMetrics {
  started(): void;
  /** Counts completed and failed outcomes; `pending` (answered 202) is not an outcome yet. */
  finished(outcome: TurnOutcome): void;
}

export interface ApiMetrics {
  registry: Registry;
  turns: TurnMetrics;
  /** Observe one answered request; `route` is the pattern, never the raw URL. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
}

export interface ApiMetricsOptions {
  /** Node process metrics (CPU, memory, event loop lag, GC). On in the API process, off in tests. */
  processMetrics?: boolean;
}

export function createApiMetrics(options: ApiMetricsOptions = {}): ApiMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const latency = new Histogram({
    name: 'clasper_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const started = new Counter({
    name: 'clasper_turns_started_total',
    help: 'Agent turns started (or attached to, for a repeated Idempotency-Key) by POST /api/agents/send',
    registers,
  });
  const completed = new Counter({
    name: 'clasper_turns_completed_total',
    help: 'Agent turns the send route saw complete',
    registers,
  });
  const failed = new Counter({
    name: 'clasper_turns_failed_total',
    help: 'Agent turns the send route saw fail',
    registers,
  });
  return {
    registry,
    turns: {
      started: () => started.inc(),
      finished: (outcome) => {
        if (outcome.state === 'completed') completed.inc();
        else if (outcome.state === 'failed') failed.inc();
      },
    },
    observeRequest: (method, route, statusCode, seconds) =>
      latency.observe({ method, route, status_code: String(statusCode) }, seconds),
  };
}

/** Label for requests no route matched: one series for all of them, whatever the URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Times every request by its route pattern (`/api/agents/turns/:turn_id`), 404s as `unmatched`. */
export function registerRequestMetrics(app: FastifyInstance, metrics: ApiMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
}

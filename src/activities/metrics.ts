/**
 * Our own counters on the worker, next to the Temporal runtime's metrics (same Prometheus endpoint,
 * CLASPER_WORKER_METRICS_PORT): model tokens and cost by model, tool calls by tool and outcome,
 * and the dispatch lag.
 * Recorded from inside activities through `Context.current().metricMeter`, which tags them with the
 * namespace, task queue and activity type. Outside an activity (unit tests, scripts) they are no-ops.
 *
 * A retried activity records only the attempt that succeeded; an attempt whose result was lost
 * (worker crash after the call) may be counted twice. Good for dashboards; GET /usage (from turn
 * search attributes) is the exact per-user record.
 */
import type { DispatchPollStats } from '../shared/dispatch';
import type { CallModelResult, ToolOutcome } from '../shared/types';
import { costToMicros } from '../shared/usage';
import { currentMeter } from './context';

export const MODEL_TOKENS_METRIC = 'clasper_model_tokens';
export const MODEL_COST_METRIC = 'clasper_model_cost_micro_usd';
export const MODEL_UNPRICED_METRIC = 'clasper_model_unpriced_calls';
export const TOOL_CALLS_METRIC = 'clasper_tool_calls';

/** Tokens by kind (prompt, completion) and model; cost in micro-USD (counters are integers). */
export function recordModelCall(result: CallModelResult, meter = currentMeter()): void {
  if (!meter) return;
  const tags = { model: result.model };
  const tokens = meter.createCounter(MODEL_TOKENS_METRIC, 'tokens', 'Model tokens used, by kind and model');
  tokens.add(result.usage.prompt_tokens, { ...tags, kind: 'prompt' });
  tokens.add(result.usage.completion_tokens, { ...tags, kind: 'completion' });
  const micros = costToMicros(result.cost);
  if (micros >= 0) {
    meter
      .createCounter(MODEL_COST_METRIC, 'micro-USD', 'Model cost from the pricing table')
      .add(micros, tags);
  } else {
    meter
      .createCounter(MODEL_UNPRICED_METRIC, 'calls', 'Model calls whose model has no known price')
      .add(1, tags);
  }
}

/** One tool call by name and outcome (`ok` true/false). */
export function recordToolCall(name: string, outcome: ToolOutcome, meter = currentMeter()): void {
  if (!meter) return;
  meter
    .createCounter(TOOL_CALLS_METRIC, 'calls', 'Tool calls run for the model, by tool and outcome')
    .add(1, { tool: name, ok: outcome.ok });
}

export const DISPATCH_POLLS_METRIC = 'clasper_dispatch_polls';
export const DISPATCH_DELIVERIES_METRIC = 'clasper_dispatch_deliveries';
export const DISPATCH_OLDEST_AGE_METRIC = 'clasper_dispatch_oldest_undelivered_age_seconds';
export const DISPATCH_LAST_POLL_METRIC = 'clasper_dispatch_last_poll_timestamp_seconds';

/**
 * One poll of the dispatcher: polls and new deliveries as counters (their rates' ratio is the
 * deliveries per poll), the age of the oldest undelivered notification it listed (0 when none)
 * and when it ran, as gauges. A gauge stays at its last value on a worker that stopped polling;
 * the last-poll time tells which worker's value is current.
 */
export function recordDispatchPoll(stats: DispatchPollStats, meter = currentMeter()): void {
  if (!meter) return;
  meter.createCounter(DISPATCH_POLLS_METRIC, 'polls', 'Polls of undelivered notifications').add(1);
  meter
    .createCounter(DISPATCH_DELIVERIES_METRIC, 'deliveries', 'New deliveries found by the dispatcher polls')
    .add(stats.lastPollDeliveries);
  meter
    .createGauge(
      DISPATCH_OLDEST_AGE_METRIC,
      'float',
      'seconds',
      'Age of the oldest undelivered notification the last poll listed (0: none)',
    )
    .set(stats.oldestUndeliveredAgeSec ?? 0);
  meter
    .createGauge(DISPATCH_LAST_POLL_METRIC, 'int', 'seconds', 'Unix time of the last dispatcher poll')
    .set(Math.floor(Date.parse(stats.lastPollAt) / 1000));
}

/**
 * Our own counters on the worker, next to the Temporal runtime's metrics (same Prometheus endpoint,
 * CLASPER_WORKER_METRICS_PORT): model tokens and cost by model, tool calls by tool and outcome.
 * Recorded from inside activities through `Context.current().metricMeter`, which tags them with the
 * namespace, task queue and activity type. Outside an activity (unit tests, scripts) they are no-ops.
 *
 * A retried activity records only the attempt that succeeded; an attempt whose result was lost
 * (worker crash after the call) may be counted twice. Good for dashboards; GET /usage (from turn
 * search attributes) is the exact per-user record.
 */
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

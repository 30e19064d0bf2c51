/**
 * Scenario 3, backend faults: the reference backend's `_faults` answers a random share of every
 * contract call with a 503 or a 429 (Retry-After), drops connections, answers a few slower than
 * the client's 30 s timeout, and — the one that proves the idempotency keys — performs writes and
 * then loses their response. Every turn must complete and every write exist exactly once.
 */
import { fetchHistories } from './histories';
import { planFigures, type ScenarioFigures } from './figures';
import { startScenarioStack, type FaultRuleInput } from './scenario-stack';
import { planResponder, planTurns } from './turn-plan';

export interface BackendFaultsOptions {
  n: number;
  bundlePath: string;
  temporalAddress?: string;
  seed?: number;
  /** Message posts answered after the client's 30 s timeout (each costs one turn ~31 s). */
  slowResponses?: number;
  /** Share of message posts that are slow until `slowResponses` were (default 0.02). */
  slowProbability?: number;
  submitEveryMs?: number;
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

/** The mix: roughly one contract call in four fails one way or another. */
export function backendFaultRules(slowResponses: number, slowProbability = 0.02): FaultRuleInput[] {
  const many = 10_000;
  const slow: FaultRuleInput = {
    method: 'POST',
    path: '/api/mission-control/messages',
    mode: 'delay',
    delay_ms: 31_000,
    probability: slowProbability,
    times: slowResponses,
  };
  return [
    // The write happens 31 s later, after the client gave up and retried with the same key.
    ...(slowResponses > 0 ? [slow] : []),
    { method: 'POST', path: '/api/', mode: 'lose_response', probability: 0.12, times: many },
    { path: '/api/', mode: 'status', status: 503, probability: 0.08, times: many },
    { path: '/api/', mode: 'status', status: 429, retry_after_sec: 1, probability: 0.03, times: many },
    { path: '/api/', mode: 'drop', probability: 0.04, times: many },
  ];
}

export async function runBackendFaults(opts: BackendFaultsOptions): Promise<ScenarioFigures> {
  const seed = opts.seed ?? Date.now() % 1_000_000;
  const started = Date.now();
  const stack = await startScenarioStack({
    bundlePath: opts.bundlePath,
    temporalAddress: opts.temporalAddress,
  });
  try {
    stack.llm.respond(planResponder());
    const rules = backendFaultRules(opts.slowResponses ?? 1, opts.slowProbability);
    await stack.setFaults(rules, seed);
    const turns = planTurns(`f${seed}`, opts.n);
    for (const turn of turns) {
      const status = await stack.submit(turn);
      if (status !== 202) throw new Error(`submitting ${turn.turnId} answered ${status}`);
      await new Promise((r) => setTimeout(r, opts.submitEveryMs ?? 50));
    }
    const outcomes = await stack.awaitTurns(turns, opts.settleTimeoutMs ?? 300_000);
    const state = await stack.faultState();
    await stack.setFaults([]);
    const histories = await fetchHistories(
      stack.client,
      turns.map((t) => t.turnId),
    );
    const byMode = (state as { applied_by_mode?: Record<string, number> }).applied_by_mode ?? {};
    const faults = {
      'lost response': byMode.lose_response ?? 0,
      '503/429': byMode.status ?? 0,
      'dropped connection': byMode.drop ?? 0,
      'slower than client timeout': byMode.delay ?? 0,
    };
    const figures = await planFigures('backend faults', started, faults, {
      turns,
      outcomes,
      histories,
      stack,
    });
    figures.notes.push(
      `seed ${seed}; ${state.applied_count} of the backend calls faulted; rules: ${rules.map((r) => `${r.mode}${r.status ? ` ${r.status}` : ''}${r.method ? ` ${r.method}` : ''} p=${r.probability}`).join(', ')}`,
    );
    opts.log?.(`faults applied: ${JSON.stringify(faults)}`);
    return figures;
  } finally {
    await stack.stop();
  }
}

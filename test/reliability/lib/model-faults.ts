/**
 * Scenario 4, model faults. Each kind of misbehaviour has a defined outcome, and every turn must
 * reach it — a terminal state within the deadline, with a reason a person can read in the
 * Temporal UI — and every activity in every history must have had a bounded retry policy.
 *
 *   rate-limit        2 × 429 with Retry-After: 1   → retried after ≥ 1 s, completes
 *   server-errors     3 × 500                       → retried, completes
 *   disconnects       2 × connection dropped        → retried, completes
 *   primary-down      500 for every primary call    → fallback model answers, completes
 *   malformed-args    create_task with broken JSON  → tool error to the model, it corrects, completes
 *   hallucinated-tool a tool that does not exist    → tool error, no activity scheduled, completes
 *   empty-burst       2 empty answers               → retried as a model fault, completes
 *   empty-forever     only empty answers            → fails: "no text and no tool calls"
 *   quota             429 insufficient_quota        → fails at once, no retry: "quota"
 */
import {
  fetchHistories,
  failureChain,
  unboundedActivities,
  failedWorkflowTasks,
  type RecordedHistory,
} from './histories';
import { secretFindings, type ScenarioFigures } from './figures';
import { describeFindings } from './secrets';
import { startScenarioStack, type TurnOutcome } from './scenario-stack';
import type { FakeStep, RecordedRequest } from '../../support/fake-openai';
import { checkWrites, modelStepOf, planStep, planTurns, turnTagOf, type PlannedTurn } from './turn-plan';

export const FALLBACK_MODEL = 'gpt-4o';
export const MODEL_FAULT_KINDS = [
  'rate-limit',
  'server-errors',
  'disconnects',
  'primary-down',
  'malformed-args',
  'hallucinated-tool',
  'empty-burst',
  'empty-forever',
  'quota',
] as const;
export type ModelFaultKind = (typeof MODEL_FAULT_KINDS)[number];

interface Expectation {
  completes: boolean;
  /** For failures: what the UI must show (anywhere in the failure chain). */
  reason?: RegExp;
  /** For completions: what the result must say about the first tool call. */
  firstTool?: { name: string; ok: boolean; error?: RegExp };
  model?: string;
}

const EXPECT: Record<ModelFaultKind, Expectation> = {
  'rate-limit': { completes: true },
  'server-errors': { completes: true },
  disconnects: { completes: true },
  'primary-down': { completes: true, model: FALLBACK_MODEL },
  'malformed-args': {
    completes: true,
    firstTool: { name: 'create_task', ok: false, error: /not valid JSON/ },
  },
  'hallucinated-tool': {
    completes: true,
    firstTool: { name: 'delete_all_tasks', ok: false, error: /unknown tool/ },
  },
  'empty-burst': { completes: true },
  'empty-forever': { completes: false, reason: /no text and no tool calls/ },
  quota: { completes: false, reason: /quota/i },
};

function kindOf(tag: string): ModelFaultKind {
  const kind = MODEL_FAULT_KINDS.find((k) => tag.startsWith(`${k}-`));
  if (!kind) throw new Error(`no fault kind in tag ${tag}`);
  return kind;
}

/** A fault responder: per turn, a burst of bad answers, then the plan (shifted past any extra model step). */
function faultyModel(): (req: RecordedRequest) => FakeStep | undefined {
  const calls = new Map<string, number>();
  return (req) => {
    const tag = turnTagOf(req);
    if (!tag) return undefined;
    const kind = kindOf(tag);
    const n = (calls.get(tag) ?? 0) + 1;
    calls.set(tag, n);
    const fallback = req.model === FALLBACK_MODEL;
    const step = modelStepOf(req);
    switch (kind) {
      case 'rate-limit':
        return n <= 2 ? { status: 429, retryAfterSec: 1 } : planStep(req);
      case 'server-errors':
        return n <= 3 ? { status: 500 } : planStep(req);
      case 'disconnects':
        return n <= 2 ? { disconnect: true } : planStep(req);
      case 'primary-down':
        return fallback ? planStep(req) : { status: 500 };
      case 'malformed-args':
        return step === 1 ? { rawArguments: '{"title": "Sub', name: 'create_task' } : planStep(req, 1);
      case 'hallucinated-tool':
        return step === 1 ? { toolCalls: [{ name: 'delete_all_tasks', arguments: {} }] } : planStep(req, 1);
      case 'empty-burst':
        return n <= 2 ? { text: '' } : planStep(req);
      case 'empty-forever':
        return { text: '' };
      case 'quota':
        return {
          status: 429,
          errorCode: 'insufficient_quota',
          error: 'You exceeded your current quota, please check your plan and billing details.',
        };
    }
  };
}

export interface ModelFaultsOptions {
  /** Turns per kind. */
  perKind: number;
  bundlePath: string;
  temporalAddress?: string;
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

export async function runModelFaults(opts: ModelFaultsOptions): Promise<ScenarioFigures> {
  const started = Date.now();
  const stack = await startScenarioStack({
    bundlePath: opts.bundlePath,
    temporalAddress: opts.temporalAddress,
    fallbackModel: FALLBACK_MODEL,
    // The production attempt counts and backoff shape, with a short first interval so the
    // retry → fallback path takes seconds, not the minute it takes in production.
    turnTimings: { modelRetryInitialMs: 100 },
  });
  try {
    const responder = faultyModel();
    const requestTimes = new Map<string, number[]>();
    stack.llm.respond((req) => {
      const tag = turnTagOf(req);
      if (tag) requestTimes.set(tag, [...(requestTimes.get(tag) ?? []), Date.now()]);
      return responder(req);
    });
    const run = `m${started % 1_000_000}`;
    const turns: (PlannedTurn & { kind: ModelFaultKind })[] = MODEL_FAULT_KINDS.flatMap((kind) =>
      planTurns(`${kind}-${run}`, opts.perKind).map((t) => ({ ...t, kind })),
    );
    for (const turn of turns) {
      const status = await stack.submit(turn);
      if (status !== 202) throw new Error(`submitting ${turn.turnId} answered ${status}`);
    }
    const outcomes = await stack.awaitTurns(turns, opts.settleTimeoutMs ?? 120_000);
    const histories = await fetchHistories(
      stack.client,
      turns.map((t) => t.turnId),
    );
    const byId = new Map(histories.map((h) => [h.workflowId, h]));

    const problems: string[] = [];
    let completed = 0;
    let failedAsDefined = 0;
    for (const turn of turns) {
      const outcome = outcomes.get(turn.turnId) as TurnOutcome;
      const history = byId.get(turn.turnId) as RecordedHistory;
      const problem = checkOutcome(turn, outcome, history);
      if (problem) problems.push(`${turn.turnId} (${turn.kind}): ${problem}`);
      else if (outcome.state === 'completed') completed += 1;
      else failedAsDefined += 1;
    }

    // Writes: completing turns wrote exactly the plan; failing ones never got past their first model step.
    const data = await stack.inspect();
    const completing = turns.filter((t) => EXPECT[t.kind].completes);
    const writes = checkWrites(completing, data);
    const failingUsers = new Set(turns.filter((t) => !EXPECT[t.kind].completes).map((t) => t.tag));
    const strayFromFailing = [...data.messages, ...data.documents].filter((w) =>
      [...failingUsers].some((tag) => JSON.stringify(w).includes(tag)),
    );
    problems.push(
      ...writes.missing.map((k) => `missing write ${k}`),
      ...writes.duplicated.map((k) => `duplicated write ${k}`),
    );
    // A failing turn resolved its task before its first model call; that task is all it may leave.
    const unexpected = writes.unexpected.filter(
      (k) => !/^task\|[^|]+\|Thread (empty-forever|quota)-/.test(k),
    );
    problems.push(...unexpected.map((k) => `unexpected write ${k}`));
    problems.push(...strayFromFailing.map((w) => `a failing turn wrote ${JSON.stringify(w).slice(0, 120)}`));
    problems.push(...unboundedActivities(histories), ...failedWorkflowTasks(histories));
    const leaks = secretFindings(stack, histories);
    if (leaks.length > 0) problems.push(`secrets found:\n${describeFindings(leaks)}`);

    const gaps = turns
      .filter((t) => t.kind === 'rate-limit')
      .map((t) => requestTimes.get(t.tag) ?? [])
      .filter((ts) => ts.length >= 3)
      .map((ts) => Math.min((ts[1] ?? 0) - (ts[0] ?? 0), (ts[2] ?? 0) - (ts[1] ?? 0)));
    if (gaps.some((g) => g < 900))
      problems.push(`a 429 with Retry-After: 1 was retried after only ${Math.min(...gaps)} ms`);

    const figures: ScenarioFigures = {
      scenario: 'model faults',
      n: turns.length,
      faults: Object.fromEntries(MODEL_FAULT_KINDS.map((k) => [k, opts.perKind])),
      completed,
      failedAsDefined,
      lost: turns.length - completed - failedAsDefined,
      missingWrites: writes.missing.length,
      duplicated: writes.duplicated.length,
      unexpectedWrites: unexpected.length,
      durationMs: Date.now() - started,
      problems,
      notes: [
        `${completed} turns completed as defined and ${failedAsDefined} failed as defined (empty-forever, quota), each with a readable reason; ` +
          `shortest wait after a 429 with Retry-After: 1 was ${gaps.length ? Math.min(...gaps) : '?'} ms; ` +
          `model calls made: ${stack.llm.chatRequests().length}`,
      ],
    };
    opts.log?.(figures.notes[0] ?? '');
    return figures;
  } finally {
    await stack.stop();
  }
}

function checkOutcome(
  turn: PlannedTurn & { kind: ModelFaultKind },
  outcome: TurnOutcome,
  history: RecordedHistory,
): string | undefined {
  const want = EXPECT[turn.kind];
  if (outcome.state === 'timeout') return 'did not reach a terminal state before the deadline';
  if (want.completes) {
    if (outcome.state !== 'completed') return `expected to complete, failed: ${outcome.error}`;
    if (outcome.result.response !== `Done ${turn.tag}`)
      return `unexpected response ${JSON.stringify(outcome.result.response)}`;
    if (want.model && outcome.result.model !== want.model)
      return `expected model ${want.model}, got ${outcome.result.model}`;
    if (want.firstTool) {
      const first = outcome.result.tool_calls[0];
      if (
        !first ||
        first.name !== want.firstTool.name ||
        first.ok !== want.firstTool.ok ||
        !(want.firstTool.error?.test(first.error ?? '') ?? true)
      ) {
        return `first tool call ${JSON.stringify(first)} is not ${JSON.stringify({ ...want.firstTool, error: String(want.firstTool.error) })}`;
      }
      // A made-up tool never becomes an activity (it would be retried forever as "not registered").
      const scheduled = (history.history.events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes)
        .filter((a) => a?.activityType?.name === 'runTool')
        .flatMap((a) => a?.input?.payloads ?? [])
        .filter((p) =>
          Buffer.from(p.data ?? new Uint8Array())
            .toString('utf8')
            .includes('delete_all_tasks'),
        );
      if (turn.kind === 'hallucinated-tool' && scheduled.length > 0)
        return 'an activity was scheduled for a hallucinated tool';
    }
    return undefined;
  }
  if (outcome.state !== 'failed')
    return `expected to fail, but completed with ${JSON.stringify(outcome.result.response)}`;
  const chain = failureChain(history.history).join(' ← ');
  if (!want.reason?.test(chain)) return `failure shown in the UI does not say why: ${chain}`;
  return undefined;
}

import { runBounded } from '../../../src/workflows/lib/bounded';
import {
  conversationChars,
  decideStep,
  planToolRound,
  TurnLedger,
} from '../../../src/workflows/lib/turn-ledger';
import { completedWebhook, failedWebhook, summariseArguments } from '../../../src/workflows/lib/turn-webhook';
import type { AgentTurnInput, AgentTurnResult } from '../../../src/shared/turn';
import type { CallModelResult, ToolCall } from '../../../src/shared/types';

function answer(overrides: Partial<CallModelResult> = {}): CallModelResult {
  return {
    model: 'gpt-4o-mini',
    content: 'done',
    toolCalls: [],
    finishReason: 'stop',
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    cost: 0.000012,
    ...overrides,
  };
}

function call(id: string, name = 'list_tasks'): ToolCall {
  return { id, type: 'function', function: { name, arguments: '{}' } };
}

describe('decideStep', () => {
  test('no tool calls: the text is the answer (empty text when the model sent none)', () => {
    expect(decideStep(answer())).toEqual({ kind: 'answer', text: 'done' });
    expect(decideStep(answer({ content: null }))).toEqual({ kind: 'answer', text: '' });
  });

  test('tool calls: run them, with ids made unique within the answer', () => {
    const decision = decideStep(answer({ toolCalls: [call('a'), call('a'), call('')] }));
    expect(decision.kind).toBe('run-tools');
    if (decision.kind !== 'run-tools') return;
    expect(decision.calls.map((c) => c.id)).toEqual(['a', 'a_1', '']);
  });
});

describe('TurnLedger', () => {
  const history: AgentTurnInput['history'] = [
    { role: 'system', content: 'folded into the system prompt' },
    { role: 'user', content: 'earlier question' },
    { role: 'assistant', content: 'earlier answer' },
  ];

  test('the first conversation: system prompt, non-system history, then the prompt', () => {
    const ledger = new TurnLedger('SYSTEM', history, 'now');
    expect(ledger.messages).toEqual([
      { role: 'system', content: 'SYSTEM' },
      { role: 'user', content: 'earlier question' },
      { role: 'assistant', content: 'earlier answer' },
      { role: 'user', content: 'now' },
    ]);
    expect(conversationChars({ history }, 'now')).toBe(
      'earlier question'.length + 'earlier answer'.length + 3,
    );
  });

  test('answers sum usage and cost; an unpriced answer makes the cost unknown for good', () => {
    const ledger = new TurnLedger('S', [], 'p');
    ledger.recordAnswer(answer());
    ledger.recordAnswer(answer({ model: 'gpt-4o', content: null }));
    expect(ledger.usage).toEqual({ prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 });
    expect(ledger.cost).toBe(0.000024);
    expect(ledger.model).toBe('gpt-4o');
    expect(ledger.lastText).toBe('done');
    ledger.recordAnswer(answer({ cost: null }));
    ledger.recordAnswer(answer());
    expect(ledger.cost).toBeNull();
  });

  test('a tool round appends the assistant message and one tool message per call, in order', () => {
    const ledger = new TurnLedger('S', [], 'p');
    const calls = [call('c1'), call('c2', 'create_task')];
    ledger.recordToolRound('thinking', calls, [
      { ok: true, content: '{"items":[]}' },
      { ok: false, content: '{"error":"bad"}', error: 'bad' },
    ]);
    expect(ledger.messages.slice(2)).toEqual([
      { role: 'assistant', content: 'thinking', tool_calls: calls },
      { role: 'tool', tool_call_id: 'c1', content: '{"items":[]}' },
      { role: 'tool', tool_call_id: 'c2', content: '{"error":"bad"}' },
    ]);
    expect(ledger.toolCalls).toEqual([
      { name: 'list_tasks', ok: true },
      { name: 'create_task', ok: false, error: 'bad' },
    ]);
  });

  test('a capped reply is the last text plus the cap note, or the note alone', () => {
    const ledger = new TurnLedger('S', [], 'p');
    expect(ledger.cappedResponse(3)).toMatch(/^\[Clasper: the turn stopped after 3 model steps/);
    ledger.recordAnswer(answer({ content: 'partial' }));
    expect(ledger.cappedResponse(3)).toMatch(/^partial\n\n\[Clasper: the turn stopped after 3 model steps/);
  });
});

describe('webhook payloads and summaries', () => {
  const input = { userId: 'u1', role: 'lead', metadata: { k: 1 } } as unknown as AgentTurnInput;
  test('completed and failed payloads carry the turn, the user and the metadata', () => {
    const result = { turn_id: 't', task_id: '7', response: 'hi', usage: {}, cost: null, tool_calls: [] };
    expect(completedWebhook(input, result as unknown as AgentTurnResult)).toEqual({
      event: 'agent.completed',
      turn_id: 't',
      task_id: '7',
      user_id: 'u1',
      role: 'lead',
      response: 'hi',
      usage: {},
      cost: null,
      tool_calls: [],
      metadata: { k: 1 },
    });
    expect(failedWebhook(input, 't', 'boom')).toEqual({
      event: 'agent.failed',
      turn_id: 't',
      user_id: 'u1',
      role: 'lead',
      error: 'boom',
      metadata: { k: 1 },
    });
  });

  test('arguments are shown on one line of at most 80 characters', () => {
    expect(summariseArguments('{\n  "a": 1\n}')).toBe('{ "a": 1 }');
    const long = summariseArguments(JSON.stringify({ text: 'x'.repeat(200) }));
    expect(long).toHaveLength(80);
    expect(long.endsWith('...')).toBe(true);
  });
});

describe('bounds', () => {
  const limits = {
    maxToolCallsPerStep: 3,
    maxToolCallsPerTurn: 5,
    toolConcurrency: 2,
    maxTurnBytes: 100,
    approvalTimeoutSec: 60,
  };
  const calls = (n: number) => Array.from({ length: n }, (_, i) => call(`c${i}`));

  test('per step: the first calls run, the rest are refused with the step cap named', () => {
    const plan = planToolRound(calls(5), limits, 0);
    expect(plan.run.map((c) => c.id)).toEqual(['c0', 'c1', 'c2']);
    expect(plan.refused.map((r) => r.call.id)).toEqual(['c3', 'c4']);
    expect(plan.refused[0]?.error).toContain('CLASPER_MAX_TOOL_CALLS_PER_STEP');
  });

  test('per turn: once the turn has used its calls, the cap named is the turn one', () => {
    const plan = planToolRound(calls(3), limits, 4);
    expect(plan.run.map((c) => c.id)).toEqual(['c0']);
    expect(plan.refused[0]?.error).toContain('CLASPER_MAX_TOOL_CALLS_PER_TURN');
    expect(planToolRound(calls(2), limits, 5).run).toEqual([]);
  });

  test('a clipped answer: calls past the intact ones are refused for their size', () => {
    const plan = planToolRound(calls(3), limits, 0, 1);
    expect(plan.run.map((c) => c.id)).toEqual(['c0']);
    expect(plan.refused[0]?.error).toContain('CLASPER_MAX_TURN_BYTES');
  });

  test('the ledger counts the bytes it will feed the model, tool calls and results included', () => {
    const ledger = new TurnLedger('ab', [], 'cd');
    expect(ledger.bytes).toBe(4);
    ledger.recordToolRound('é', [call('x')], [{ ok: true, content: '12345' }]);
    // 'é' is 2 bytes; the call's name and '{}' arguments; the 5-byte result.
    expect(ledger.bytes).toBe(4 + 2 + 'list_tasks'.length + 2 + 5);
    expect(ledger.overBudget({ ...limits, maxTurnBytes: ledger.bytes })).toBe(false);
    expect(ledger.overBudget({ ...limits, maxTurnBytes: ledger.bytes - 1 })).toBe(true);
  });
});

describe('runBounded', () => {
  test('at most `limit` in flight, results in the items order', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await runBounded([30, 10, 20, 5, 1], 2, async (ms) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, ms));
      inFlight -= 1;
      return ms * 2;
    });
    expect(results).toEqual([60, 20, 40, 10, 2]);
    expect(peak).toBe(2);
    expect(await runBounded([], 4, async (x: number) => x)).toEqual([]);
  });
});

import { clipAnswer, CLIPPED_ARGUMENTS } from '../../../src/shared/answer-clip';
import type { CallModelResult, ToolCall } from '../../../src/shared/types';

function answerWith(calls: ToolCall[], content: string | null = null): CallModelResult {
  return {
    model: 'm',
    content,
    toolCalls: calls,
    finishReason: 'tool_calls',
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    cost: 0,
  };
}

const call = (i: number, args = '{"a":1}'): ToolCall => ({
  id: `c${i}`,
  type: 'function',
  function: { name: 'echo', arguments: args },
});

describe('clipAnswer', () => {
  test('without bounds, or within them, the answer is returned as it is', () => {
    const a = answerWith([call(1), call(2)]);
    expect(clipAnswer(a, undefined)).toBe(a);
    expect(clipAnswer(a, { maxToolCalls: 2, maxBytes: 1000 })).toBe(a);
  });

  test('calls past the count keep id and name only, and the result says how many are intact', () => {
    const clipped = clipAnswer(answerWith(Array.from({ length: 2100 }, (_, i) => call(i))), {
      maxToolCalls: 16,
      maxBytes: 1_000_000,
    });
    expect(clipped.intactToolCalls).toBe(16);
    expect(clipped.toolCalls).toHaveLength(2100);
    expect(clipped.toolCalls[15]?.function.arguments).toBe('{"a":1}');
    expect(clipped.toolCalls[16]).toEqual({
      id: 'c16',
      type: 'function',
      function: { name: 'echo', arguments: CLIPPED_ARGUMENTS },
    });
  });

  test('calls past the byte bound (text counted first) lose their arguments', () => {
    const big = `{"text":"${'x'.repeat(16_000)}"}`;
    const clipped = clipAnswer(answerWith([call(1, big), call(2, big), call(3, big)], 'y'.repeat(1000)), {
      maxToolCalls: 16,
      maxBytes: 40_000,
    });
    expect(clipped.intactToolCalls).toBe(2);
    expect(clipped.toolCalls.map((c) => c.function.arguments.length)).toEqual([big.length, big.length, 2]);
  });
});

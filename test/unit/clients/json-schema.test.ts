/** The JSON helpers of the validateJson activity: reading the answer as JSON, and checking a schema with ajv. */
import { parseAnswer, schemaProblem } from '../../../src/clients/json-schema';
import { splitForCompaction } from '../../../src/shared/compact';
import { wantsJsonObjectMode } from '../../../src/shared/llm-task';

describe('parseAnswer', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['  [1, 2]\n', [1, 2]],
    ['```json\n{"a": 1}\n```', { a: 1 }],
    ['```\n"text"\n```', 'text'],
    ['42', 42],
  ])('%j parses', (text, value) => {
    expect(parseAnswer(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['', 'the answer is empty, not JSON'],
    ['Sure: {"a": 1}', 'the answer is not valid JSON'],
    ['{"a": 1} trailing', 'the answer is not valid JSON'],
  ])('%j is refused', (text, message) => {
    const result = parseAnswer(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain(message);
  });
});

describe('schemaProblem', () => {
  it('schemaProblem names what is wrong; unknown keywords are tolerated', () => {
    expect(schemaProblem({ type: 'objekt' })).toMatch(/schema is invalid/);
    expect(schemaProblem({ type: 'string', example: 'x' })).toBeUndefined();
  });
});

describe('llm-task and compact decisions', () => {
  it.each([
    [undefined, true],
    [{}, true],
    [{ type: 'object' }, true],
    [{ type: ['object', 'null'] }, true],
    [{ type: 'array' }, false],
    [{ type: 'string' }, false],
  ])('JSON-object mode for %j: %s', (schema, expected) => {
    expect(wantsJsonObjectMode(schema as Record<string, unknown> | undefined)).toBe(expected);
  });

  it('splitForCompaction keeps the last keepRecent; 0 summarises all', () => {
    const m = (n: number) => ({ role: 'user' as const, content: String(n) });
    const five = [1, 2, 3, 4, 5].map(m);
    expect(splitForCompaction(five, 2)).toEqual({ older: five.slice(0, 3), recent: five.slice(3) });
    expect(splitForCompaction(five, 0)).toEqual({ older: five, recent: [] });
    expect(splitForCompaction(five, 9)).toEqual({ older: [], recent: five });
  });
});

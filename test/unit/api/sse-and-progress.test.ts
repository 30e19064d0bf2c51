/**
 * The pure parts of streaming: how an answer is cut into `chunk`s (joined, exactly the answer;
 * about a sentence, never over 80 characters, never inside a surrogate pair), the SSE frame format,
 * and the bounded progress record AgentTurn answers the `progress` query with.
 */
import fc from 'fast-check';
import { sseFrame } from '../../../src/api/sse';
import { CHUNK_MAX_CHARS, splitIntoChunks } from '../../../src/shared/chunks';
import {
  MAX_KEPT_TOOL_EVENTS,
  MAX_TEXT_CHARS_PER_QUERY,
  MAX_TOOL_ERROR_CHARS,
  MAX_TOOL_EVENTS_PER_QUERY,
  ProgressTracker,
} from '../../../src/shared/progress';

describe('splitIntoChunks', () => {
  it.each([
    ['', []],
    ['Hi.', ['Hi.']],
    ['One. Two! Three? Four', ['One. ', 'Two! ', 'Three? ', 'Four']],
    ['Line one\nLine two\n\nEnd.', ['Line one\n', 'Line two\n\n', 'End.']],
    ['He said "stop." Then left.', ['He said "stop." ', 'Then left.']],
    ['Version 1.5 is out', ['Version 1.5 is out']],
  ])('%j → %j', (text, chunks) => {
    expect(splitIntoChunks(text)).toEqual(chunks);
  });

  it('cuts a long sentence after whitespace, and a long word at the limit', () => {
    const sentence = `${'word '.repeat(30)}end.`;
    const chunks = splitIntoChunks(sentence);
    expect(chunks.every((c) => c.length <= CHUNK_MAX_CHARS && (c.endsWith(' ') || c === chunks.at(-1)))).toBe(
      true,
    );
    expect(splitIntoChunks('x'.repeat(200)).map((c) => c.length)).toEqual([80, 80, 40]);
  });

  it('never splits a surrogate pair', () => {
    const text = `${'x'.repeat(79)}😀${'y'.repeat(10)}`;
    const chunks = splitIntoChunks(text);
    expect(chunks).toEqual(['x'.repeat(79), `😀${'y'.repeat(10)}`]);
  });

  it('joined chunks are exactly the text, each at most the limit and non-empty (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 600 }),
        fc.integer({ min: 2, max: 120 }),
        (text, max) => {
          const chunks = splitIntoChunks(text, max);
          expect(chunks.join('')).toBe(text);
          for (const c of chunks) {
            expect(c.length).toBeGreaterThan(0);
            expect(c.length).toBeLessThanOrEqual(max);
          }
        },
      ),
    );
  });
});

describe('sseFrame', () => {
  it('is one event line and one data line whose JSON repeats the type', () => {
    expect(sseFrame('chunk', { data: 'a\nb' })).toBe(
      'event: chunk\ndata: {"type":"chunk","data":"a\\nb"}\n\n',
    );
  });
});

describe('ProgressTracker', () => {
  it('numbers tool events, returns those after a seq, and the answer once known', () => {
    const p = new ProgressTracker();
    expect(p.view()).toEqual({ step: 0, lastSeq: 0, tools: [], approvals: [], pending_approvals: [] });
    p.stepStarted(1);
    const outcome = { ok: false, error: 'nope', content: '{}' };
    expect(p.toolFinished(1, 'echo', outcome)).toBe(outcome);
    p.toolFinished(1, 'add_numbers', { ok: true });
    p.stepStarted(2);
    expect(p.view({ afterSeq: 1 })).toEqual({
      step: 2,
      lastSeq: 2,
      tools: [{ seq: 2, name: 'add_numbers', ok: true, step: 1 }],
      approvals: [],
      pending_approvals: [],
    });
    p.answered('Done.');
    expect(p.view({ afterSeq: 2, textFrom: 2 })).toEqual({
      step: 2,
      lastSeq: 2,
      tools: [],
      approvals: [],
      pending_approvals: [],
      textLength: 5,
      text: 'ne.',
    });
  });

  it('records approvals waiting and decided on the same seq counter as tool events', () => {
    const p = new ProgressTracker();
    p.toolFinished(1, 'echo', { ok: true });
    const pending = { call_id: 'c1', name: 'create_task', arguments: {}, requested_at: 't', step: 1 };
    p.approvalsPending([pending]);
    p.approvalsPending([pending]); // the same call again is no new event
    p.approvalDecided({
      call_id: 'c1',
      name: 'create_task',
      decision: 'deny',
      reason: 'no',
      decided_at: 't',
      by: 'reviewer',
    });
    p.approvalsPending([]);
    const v = p.view({ afterSeq: 1 });
    expect(v.lastSeq).toBe(3);
    expect(v.pending_approvals).toEqual([]);
    expect(v.approvals).toEqual([
      { seq: 2, kind: 'approval_required', call_id: 'c1', name: 'create_task', step: 1 },
      {
        seq: 3,
        kind: 'approval_decided',
        call_id: 'c1',
        name: 'create_task',
        decision: 'deny',
        reason: 'no',
      },
    ]);
  });

  it('stays bounded: kept events, events per answer, error length and text per answer', () => {
    const p = new ProgressTracker();
    for (let i = 0; i < MAX_KEPT_TOOL_EVENTS + 10; i++)
      p.toolFinished(1, 'echo', { ok: false, error: 'e'.repeat(2_000) });
    const first = p.view();
    expect(first.lastSeq).toBe(MAX_KEPT_TOOL_EVENTS + 10);
    expect(first.tools).toHaveLength(MAX_TOOL_EVENTS_PER_QUERY);
    expect(first.tools[0]?.seq).toBe(11); // the oldest ten were dropped
    expect(first.tools[0]?.error).toHaveLength(MAX_TOOL_ERROR_CHARS);
    p.answered('a'.repeat(MAX_TEXT_CHARS_PER_QUERY + 5));
    expect(p.view({ afterSeq: first.lastSeq }).text).toHaveLength(MAX_TEXT_CHARS_PER_QUERY);
    expect(p.view({ afterSeq: first.lastSeq, textFrom: MAX_TEXT_CHARS_PER_QUERY }).text).toBe('aaaaa');
  });
});

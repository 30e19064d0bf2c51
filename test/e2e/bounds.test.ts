/**
 * Bounded by construction (docs/architecture.md): no model answer can wedge a turn. An answer of
 * 2,100 tool calls, tool results that pile up past the byte budget, and a model that never answers
 * all end the turn with a reason, on the real dev server.
 */
import type { FakeToolCall, RecordedRequest } from '../support/fake-openai';
import { sendBody } from '../support/stack';
import { historyEvents, messagesOf, send, useStack } from './helpers';

const SIXTEEN_KB = 16 * 1024 - 64;

function echoCalls(n: number, bytes: number, prefix = 'e'): FakeToolCall[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i}`,
    name: 'echo',
    arguments: { text: 'x'.repeat(bytes) },
  }));
}

/** Bytes of every payload in the turn's history, largest first. */
async function payloadSizes(stack: Parameters<typeof historyEvents>[0], turnId: string): Promise<number[]> {
  const events = await historyEvents(stack, turnId);
  const sizes: number[] = [];
  for (const e of events) {
    const attrs = [
      e.activityTaskScheduledEventAttributes?.input,
      e.activityTaskCompletedEventAttributes?.result,
      e.markerRecordedEventAttributes?.details?.data,
    ];
    for (const p of attrs) for (const payload of p?.payloads ?? []) sizes.push(payload.data?.length ?? 0);
  }
  return sizes.sort((a, b) => b - a);
}

describe('bounds', () => {
  const stack = useStack();

  it('an answer of 2,100 tool calls: 16 run, 4 at a time; the rest are tool errors; the turn ends', async () => {
    stack().llm.script({
      toolCalls: Array.from({ length: 2100 }, (_, i) => ({
        id: `call_${i}`,
        name: 'add_numbers',
        arguments: { a: i, b: 1 },
      })),
    });
    stack().llm.respond(() => ({ text: 'Added what I could.' }));
    const started = Date.now();
    const res = await send(stack(), sendBody({ user_id: 'fanout', session_key: 'user:fanout:lead' }));
    expect(res.statusCode).toBe(200);
    expect(Date.now() - started).toBeLessThan(60_000);
    const body = res.json();
    expect(body.tool_calls).toHaveLength(2100);
    const ran = body.tool_calls.filter((c: { ok: boolean }) => c.ok);
    expect(ran).toHaveLength(16);
    expect(body.tool_calls[16]).toEqual({
      name: 'add_numbers',
      ok: false,
      error: expect.stringContaining('CLASPER_MAX_TOOL_CALLS_PER_STEP'),
    });
    // 2,100 tool messages are more than a turn may feed the model: it stops before another step.
    expect(body).toMatchObject({ capped: true, stopped_by: 'max_turn_bytes', iterations: 1 });
    expect(stack().llm.requests).toHaveLength(1);

    const events = await historyEvents(stack(), body.turn_id);
    const toolActivities = events.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runTool',
    );
    expect(toolActivities).toHaveLength(16);
    // At most CLASPER_TOOL_CONCURRENCY (4) scheduled by any one workflow task: the lanes refill.
    const perTask = new Map<string, number>();
    for (const e of toolActivities) {
      const by = String(e.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId);
      perTask.set(by, (perTask.get(by) ?? 0) + 1);
    }
    expect(Math.max(...perTask.values())).toBe(4);
  });

  it('16 KB tool results pile up: the turn stops at the byte budget, every payload well under 2 MB', async () => {
    // Ten 16 KB echoes per answer, for as long as the model is asked: the budget must end it.
    stack().llm.respond((req: RecordedRequest) => {
      const step = messagesOf(req).filter((m) => m.role === 'assistant').length;
      return { toolCalls: echoCalls(10, SIXTEEN_KB, `s${step}_`) };
    });
    const res = await send(stack(), sendBody({ user_id: 'bytes', session_key: 'user:bytes:lead' }));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ capped: true, stopped_by: 'max_turn_bytes' });
    expect(body.response).toContain('CLASPER_MAX_TURN_BYTES');
    const sizes = await payloadSizes(stack(), body.turn_id);
    expect(sizes[0]).toBeLessThan(1024 * 1024);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(5 * 1024 * 1024);
  });

  it('150 × 16 KB arguments in one answer: the answer is clipped, not the turn', async () => {
    stack().llm.script({ toolCalls: echoCalls(150, SIXTEEN_KB) });
    stack().llm.respond(() => ({ text: 'Done.' }));
    const res = await send(stack(), sendBody({ user_id: 'clipped', session_key: 'user:clipped:lead' }));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.tool_calls).toHaveLength(150);
    const ran = body.tool_calls.filter((c: { ok: boolean }) => c.ok).length;
    // Arguments are 16 KB each and the answer keeps at most 256 KiB of them whole.
    expect(ran).toBeGreaterThan(0);
    expect(ran).toBeLessThanOrEqual(16);
    expect(body.tool_calls[ran].error).toMatch(/CLASPER_MAX_TURN_BYTES|CLASPER_MAX_TOOL_CALLS_PER_STEP/);
    const sizes = await payloadSizes(stack(), body.turn_id);
    expect(sizes[0]).toBeLessThan(1024 * 1024);
  });
});

describe('execution timeout', () => {
  const stack = useStack({
    env: {
      // The deadline is the turn's own work plus one approval window per step: 10 + 1 × 1 s here.
      CLASPER_TURN_TIMEOUT_SEC: '10',
      CLASPER_APPROVAL_TIMEOUT_SEC: '1',
      CLASPER_MAX_TOOL_ITERATIONS: '1',
      CLASPER_SEND_TIMEOUT_SEC: '40',
    },
  });

  it('a model that never answers: the turn ends at CLASPER_TURN_TIMEOUT_SEC with a readable status', async () => {
    stack().llm.respond(() => ({ text: 'too late', delayMs: 60_000 }));
    const started = Date.now();
    const res = await send(
      stack(),
      sendBody({ user_id: 'never-answers', session_key: 'user:never-answers:lead' }),
    );
    // Well before the send's own 40 s (which would answer 202): the 11 s deadline ended it. The
    // margin is for a loaded CI box, where this turn once took 30 s to end against 18 s alone.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(res.statusCode).toBe(502);
    expect(res.json().error).toMatch(/timed out/i);
  }, 50_000);
});

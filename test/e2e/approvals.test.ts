/**
 * Human in the loop on the real dev server: tool calls that wait for a person's decision
 * (CLASPER_APPROVAL_TOOLS and backend tools marked `requires_approval`), decided through the API
 * as a Temporal Update, and turns cancelled while they run.
 */
import type { RecordedRequest } from '../support/fake-openai';
import { listenLocally, postJson, readSse, type SseEvent } from '../support/sse';
import { sendBody } from '../support/stack';
import { eventually, historyEvents, messagesOf, send, useStack } from './helpers';

type Stack = ReturnType<ReturnType<typeof useStack>>;

/** Sends without waiting and returns the turn id. */
async function start(stack: Stack, user: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await send(stack, sendBody({ user_id: user, session_key: `user:${user}:lead`, ...extra }), {
    query: 'wait=false',
  });
  expect(res.statusCode).toBe(202);
  return res.json().turn_id as string;
}

async function status(stack: Stack, turnId: string) {
  const res = await stack.api.inject({
    method: 'GET',
    url: `/api/agents/turns/${encodeURIComponent(turnId)}`,
  });
  return res.json();
}

async function waitingOn(stack: Stack, turnId: string, n: number) {
  return eventually(async () => {
    const s = await status(stack, turnId);
    return s.status === 'waiting_approval' && s.pending_approvals.length === n ? s : undefined;
  }, 20_000);
}

async function decide(stack: Stack, turnId: string, callId: string, body: Record<string, unknown>) {
  return stack.api.inject({
    method: 'POST',
    url: `/api/agents/turns/${encodeURIComponent(turnId)}/approvals/${encodeURIComponent(callId)}`,
    payload: body,
  });
}

async function finished(stack: Stack, turnId: string) {
  return eventually(async () => {
    const s = await status(stack, turnId);
    return s.status === 'running' || s.status === 'waiting_approval' ? undefined : s;
  }, 30_000);
}

function toolMessage(req: RecordedRequest | undefined, callId: string): string | undefined {
  const m = messagesOf(req as RecordedRequest).find((x) => x.role === 'tool' && x.tool_call_id === callId);
  return m ? String(m.content) : undefined;
}

describe('approvals', () => {
  const stack = useStack({ env: { CLASPER_APPROVAL_TOOLS: 'create_task' } });

  it('a synchronous send answers 202 at once; approve runs the tool exactly once; a second decision is 409', async () => {
    const s = stack();
    s.llm.script(
      { toolCalls: [{ id: 'call_ap', name: 'create_task', arguments: { title: 'Needs a yes' } }] },
      { text: 'Created after approval.' },
    );
    const started = Date.now();
    const res = await send(s, sendBody({ user_id: 'ap1', session_key: 'user:ap1:lead' }));
    expect(res.statusCode).toBe(202);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(res.json()).toMatchObject({ status: 'waiting_approval', turn_id: expect.any(String) });
    const turnId = res.json().turn_id as string;

    const waiting = await waitingOn(s, turnId, 1);
    expect(waiting.pending_approvals[0]).toMatchObject({
      call_id: 'call_ap',
      name: 'create_task',
      arguments: { title: 'Needs a yes' },
      step: 1,
    });
    // Nothing was written while waiting.
    expect((await s.backend.inspect('ap1')).tasks.filter((t) => t.title === 'Needs a yes')).toHaveLength(0);
    const inbox = await s.api.inject({ method: 'GET', url: '/api/approvals?user_id=ap1' });
    expect(inbox.json().items).toEqual([expect.objectContaining({ turn_id: turnId, call_id: 'call_ap' })]);

    const approved = await decide(s, turnId, 'call_ap', { decision: 'approve', reason: 'looks fine' });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ call_id: 'call_ap', decision: 'approve', by: 'reviewer' });
    expect((await decide(s, turnId, 'call_ap', { decision: 'deny' })).statusCode).toBe(409);

    const done = await finished(s, turnId);
    expect(done).toMatchObject({ status: 'completed', result: { response: 'Created after approval.' } });
    expect((await s.backend.inspect('ap1')).tasks.filter((t) => t.title === 'Needs a yes')).toHaveLength(1);
  });

  it('deny: the model reads the denial and the turn completes; unknown calls 404, bad bodies 400', async () => {
    const s = stack();
    s.llm.script(
      { toolCalls: [{ id: 'call_dn', name: 'create_task', arguments: { title: 'Say no' } }] },
      { text: 'Understood, not created.' },
    );
    const turnId = await start(s, 'ap2');
    await waitingOn(s, turnId, 1);
    expect((await decide(s, turnId, 'call_nope', { decision: 'approve' })).statusCode).toBe(404);
    expect((await decide(s, turnId, 'call_dn', { decision: 'maybe' })).statusCode).toBe(400);
    expect(
      (await decide(s, turnId, 'call_dn', { decision: 'deny', arguments: { title: 'x' } })).statusCode,
    ).toBe(400);
    expect((await decide(s, turnId, 'call_dn', { decision: 'deny', reason: 'not today' })).statusCode).toBe(
      200,
    );
    const done = await finished(s, turnId);
    expect(done.result).toMatchObject({
      response: 'Understood, not created.',
      tool_calls: [{ name: 'create_task', ok: false, error: 'denied by reviewer: not today' }],
    });
    expect(toolMessage(s.llm.chatRequests()[1], 'call_dn')).toBe(
      JSON.stringify({ error: 'denied by reviewer: not today' }),
    );
    expect((await s.backend.inspect('ap2')).tasks.filter((t) => t.title === 'Say no')).toHaveLength(0);
  });

  it('edited arguments are the ones used; arguments that break the schema are a 400', async () => {
    const s = stack();
    s.llm.script(
      { toolCalls: [{ id: 'call_ed', name: 'create_task', arguments: { title: 'Draft title' } }] },
      { text: 'Done with the edited title.' },
    );
    const turnId = await start(s, 'ap3');
    await waitingOn(s, turnId, 1);
    const bad = await decide(s, turnId, 'call_ed', { decision: 'approve', arguments: { title: 42 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toContain('create_task');
    const ok = await decide(s, turnId, 'call_ed', {
      decision: 'approve',
      arguments: { title: 'Final title' },
    });
    expect(ok.statusCode).toBe(200);
    await finished(s, turnId);
    const titles = (await s.backend.inspect('ap3')).tasks.map((t) => t.title);
    expect(titles).toContain('Final title');
    expect(titles).not.toContain('Draft title');
  });

  it('two approvals in one step are decided in reverse order while the step runs its other call', async () => {
    const s = stack();
    s.llm.script(
      {
        toolCalls: [
          { id: 'call_a', name: 'create_task', arguments: { title: 'First' } },
          { id: 'call_b', name: 'create_task', arguments: { title: 'Second' } },
          { id: 'call_c', name: 'add_numbers', arguments: { a: 2, b: 3 } },
        ],
      },
      { text: 'Both decided.' },
    );
    const turnId = await start(s, 'ap4');
    await waitingOn(s, turnId, 2);
    // The call that needs no approval has already run.
    const events = await historyEvents(s, turnId);
    const ranTools = events.filter((e) => e.activityTaskCompletedEventAttributes).length;
    expect(ranTools).toBeGreaterThanOrEqual(2); // the model step and add_numbers
    expect((await decide(s, turnId, 'call_b', { decision: 'approve' })).statusCode).toBe(200);
    expect((await waitingOn(s, turnId, 1)).pending_approvals[0].call_id).toBe('call_a');
    expect((await decide(s, turnId, 'call_a', { decision: 'deny', reason: 'dup' })).statusCode).toBe(200);
    const done = await finished(s, turnId);
    expect(done.result.tool_calls).toEqual([
      { name: 'create_task', ok: false, error: 'denied by reviewer: dup' },
      { name: 'create_task', ok: true },
      { name: 'add_numbers', ok: true },
    ]);
    const titles = (await s.backend.inspect('ap4')).tasks.map((t) => t.title);
    expect(titles).toContain('Second');
    expect(titles).not.toContain('First');
  });
});

describe('approvals in the SSE stream', () => {
  const stack = useStack({ env: { CLASPER_APPROVAL_TOOLS: 'create_task' } });

  it('streams approval_required, then approval_decided and the tool starting and finishing, then done', async () => {
    const s = stack();
    s.llm.script(
      { toolCalls: [{ id: 'call_sse', name: 'create_task', arguments: { title: 'Streamed approval' } }] },
      { text: 'Approved and created.' },
    );
    const base = await listenLocally(s.api);
    const res = await postJson(
      `${base}/api/agents/stream`,
      sendBody({ user_id: 'ap6', session_key: 'user:ap6:lead' }),
    );
    const seen: SseEvent[] = [];
    let turnId = '';
    for await (const e of readSse(res)) {
      seen.push(e);
      if (e.event === 'start') turnId = e.data.turn_id as string;
      if (e.event === 'approval_required') {
        expect(e.data).toMatchObject({ call_id: 'call_sse', name: 'create_task', step: 1 });
        expect((await decide(s, turnId, 'call_sse', { decision: 'approve' })).statusCode).toBe(200);
      }
      if (e.event === 'done' || e.event === 'error') break;
    }
    const names = seen.map((e) => e.event).filter((n) => n !== 'chunk');
    expect(names).toEqual(['start', 'approval_required', 'approval_decided', 'tool', 'tool', 'done']);
    expect(seen.filter((e) => e.event === 'tool').map((e) => e.data.status)).toEqual(['started', 'finished']);
    expect(seen.find((e) => e.event === 'approval_decided')?.data).toMatchObject({
      call_id: 'call_sse',
      decision: 'approve',
    });
  });
});

describe('approval timeout', () => {
  const stack = useStack({
    env: { CLASPER_APPROVAL_TOOLS: 'create_task', CLASPER_APPROVAL_TIMEOUT_SEC: '2' },
  });

  it('no decision within CLASPER_APPROVAL_TIMEOUT_SEC counts as a denial', async () => {
    const s = stack();
    s.llm.script(
      { toolCalls: [{ id: 'call_to', name: 'create_task', arguments: { title: 'Nobody answers' } }] },
      { text: 'Nobody approved it.' },
    );
    const turnId = await start(s, 'ap5');
    const done = await finished(s, turnId);
    expect(done.result.tool_calls).toEqual([
      { name: 'create_task', ok: false, error: 'denied by reviewer: approval timed out' },
    ]);
    expect((await s.backend.inspect('ap5')).tasks.filter((t) => t.title === 'Nobody answers')).toHaveLength(
      0,
    );
  });
});

describe('cancel', () => {
  const stack = useStack({ env: { CLASPER_APPROVAL_TOOLS: 'create_task' } });

  it('during a slow model call: ends within 2 s, cancelled with the reason, nothing posted; then 409', async () => {
    const s = stack();
    s.llm.script({ text: 'too late', delayMs: 20_000 });
    const turnId = await start(s, 'cx1');
    await eventually(async () => (s.llm.chatRequests().length === 1 ? true : undefined), 20_000);
    const asked = Date.now();
    const res = await s.api.inject({
      method: 'POST',
      url: `/api/agents/turns/${encodeURIComponent(turnId)}/cancel`,
      payload: { reason: 'user closed the chat' },
    });
    expect(res.statusCode).toBe(202);
    const done = await finished(s, turnId);
    expect(Date.now() - asked).toBeLessThan(2_000);
    expect(done).toMatchObject({ status: 'cancelled', cancel_reason: 'user closed the chat' });
    expect((await s.backend.inspect('cx1')).messages).toHaveLength(0);
    const again = await s.api.inject({
      method: 'POST',
      url: `/api/agents/turns/${encodeURIComponent(turnId)}/cancel`,
    });
    expect(again.statusCode).toBe(409);
  });

  it('while waiting for approval: the pending approval is dropped and the turn ends cancelled', async () => {
    const s = stack();
    s.llm.script({ toolCalls: [{ id: 'call_cx', name: 'create_task', arguments: { title: 'Never' } }] });
    const turnId = await start(s, 'cx2');
    await waitingOn(s, turnId, 1);
    const res = await s.api.inject({
      method: 'POST',
      url: `/api/agents/turns/${encodeURIComponent(turnId)}/cancel`,
    });
    expect(res.statusCode).toBe(202);
    const done = await finished(s, turnId);
    expect(done).toMatchObject({ status: 'cancelled', cancel_reason: 'cancelled by an operator' });
    const inbox = await s.api.inject({ method: 'GET', url: '/api/approvals?user_id=cx2' });
    expect(inbox.json().items).toEqual([]);
    expect((await s.backend.inspect('cx2')).tasks.filter((t) => t.title === 'Never')).toHaveLength(0);
  });

  it('an inbox user_id that is not a user id is a 400, before any visibility query', async () => {
    for (const bad of ['a%00b', "x'%20OR%20'1'='1", '']) {
      const res = await stack().api.inject({ method: 'GET', url: `/api/approvals?user_id=${bad}` });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatch(/user_id/);
    }
  });

  it('an unknown turn is a 404', async () => {
    const res = await stack().api.inject({
      method: 'POST',
      url: `/api/agents/turns/${encodeURIComponent('agent-turn/nobody/none')}/cancel`,
    });
    expect(res.json()).toEqual({
      error: expect.stringContaining('no turn'),
      turn_id: 'agent-turn/nobody/none',
    });
    expect(res.statusCode).toBe(404);
  });
});

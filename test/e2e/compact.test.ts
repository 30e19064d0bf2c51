/**
 * POST /compact (README.md, "Other endpoints"): older turns become one system summary from the
 * cheap model, the most recent turns stay verbatim, and the summary survives the next send (system
 * messages are folded into the system prompt), which fixes the original's dropped summary and
 * keep_recent: 0.
 */
import { sendBody } from '../support/stack';
import { COMPACT_SYSTEM_PROMPT, SUMMARY_PREFIX } from '../../src/shared/compact';
import { messagesOf, send, systemPromptOf, useStack } from './helpers';

const CHEAP = 'gpt-4.1-mini';
const SUMMARY = 'The user is planning the Q3 launch; budget is 40k; Dana owns the landing page.';

const CONVERSATION = [
  { role: 'user', content: 'We are planning the Q3 launch.' },
  { role: 'assistant', content: 'Great. What is the budget?' },
  { role: 'user', content: 'Budget is 40k, and Dana owns the landing page.' },
  { role: 'assistant', content: 'Noted. Anything else?' },
  { role: 'user', content: 'What should we do first?' },
] as const;

describe('POST /compact', () => {
  const stack = useStack({ env: { LLM_MODEL_CHEAP: CHEAP } });

  const compact = (payload: Record<string, unknown>) =>
    stack().api.inject({ method: 'POST', url: '/compact', payload });

  it('compacts 5 messages keeping 2 into [summary, ...recent], and a send with them shows the model the summary', async () => {
    stack().llm.script({ text: `  ${SUMMARY}\n`, usage: { prompt_tokens: 50, completion_tokens: 20 } });
    const res = await compact({
      messages: CONVERSATION,
      keep_recent: 2,
      instructions: 'Keep owners and amounts.',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      status: 'ok',
      compacted_messages: [
        { role: 'system', content: `${SUMMARY_PREFIX}\n${SUMMARY}` },
        CONVERSATION[3],
        CONVERSATION[4],
      ],
      usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 },
      original_count: 5,
      compacted_count: 3,
    });

    // The cheap model saw the three older turns only, as ROLE: content blocks, with the instructions.
    const request = stack().llm.lastRequest();
    expect(request.model).toBe(CHEAP);
    expect(request.body?.temperature).toBe(0.3);
    const [system, user] = messagesOf(request);
    expect(system).toEqual({ role: 'system', content: COMPACT_SYSTEM_PROMPT });
    const asked = String(user?.content);
    expect(asked).toContain(
      'USER: We are planning the Q3 launch.\n\nASSISTANT: Great. What is the budget?\n\nUSER: Budget is 40k',
    );
    expect(asked).not.toContain('Noted. Anything else?');
    expect(asked).toContain('Additional instructions: Keep owners and amounts.');

    // The next turn: the summary is in the system prompt, the recent turns are conversation.
    stack().llm.script({ text: 'Start with the landing page brief for Dana.' });
    const turn = await send(
      stack(),
      sendBody({
        user_id: 'compacter',
        session_key: 'user:compacter:lead',
        message: 'Go on.',
        messages: body.compacted_messages,
      }),
    );
    expect(turn.statusCode).toBe(200);
    const turnRequest = stack().llm.lastRequest();
    expect(systemPromptOf(turnRequest)).toContain(SUMMARY);
    expect(messagesOf(turnRequest).slice(1)).toEqual([
      { role: 'assistant', content: 'Noted. Anything else?' },
      { role: 'user', content: 'What should we do first?' },
      { role: 'user', content: 'Go on.' },
    ]);
  });

  it('keep_recent: 0 summarises everything, and keep_recent defaults to 2', async () => {
    stack().llm.script({ text: 'All of it.' }, { text: 'The first three.' });
    const all = await compact({ messages: CONVERSATION, keep_recent: 0 });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toMatchObject({
      compacted_messages: [{ role: 'system', content: `${SUMMARY_PREFIX}\nAll of it.` }],
      original_count: 5,
      compacted_count: 1,
    });
    expect(String(messagesOf(stack().llm.chatRequests()[0]!)[1]?.content)).toContain(
      'USER: What should we do first?',
    );

    const byDefault = await compact({ messages: CONVERSATION });
    expect(byDefault.json()).toMatchObject({ original_count: 5, compacted_count: 3 });
  });

  it('as many messages as keep_recent or fewer: returned unchanged with zero usage, no model call', async () => {
    const res = await compact({ messages: CONVERSATION.slice(0, 2), keep_recent: 2 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ok',
      compacted_messages: CONVERSATION.slice(0, 2),
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      original_count: 2,
      compacted_count: 2,
    });
    expect(stack().llm.chatRequests()).toHaveLength(0);
  });

  it('an empty summary fails the compaction as a 502 (it would lose the history), from a compact/<uuid> workflow', async () => {
    stack().llm.script({ text: '   ' });
    const res = await compact({ messages: CONVERSATION, keep_recent: 1 });
    expect(res.statusCode).toBe(502);
    const body = res.json();
    expect(body.error).toBe('compaction failed: the model returned an empty summary');
    expect(body.details.workflow_id).toMatch(/^compact\/[0-9a-f-]{36}$/);
    const desc = await stack().client.workflow.getHandle(body.details.workflow_id).describe();
    expect(desc.type).toBe('compactConversation');
    expect(desc.status.name).toBe('FAILED');
  });

  it('bad input is a 400', async () => {
    for (const payload of [
      { messages: [] },
      { messages: CONVERSATION, keep_recent: -1 },
      { messages: CONVERSATION, keep_recent: 1.5 },
      { messages: [{ role: 'robot', content: 'x' }] },
    ]) {
      const res = await compact(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatch(/^invalid request: body\./);
    }
    expect(stack().llm.chatRequests()).toHaveLength(0);
  });
});

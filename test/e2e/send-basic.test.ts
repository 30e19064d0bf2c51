/**
 * The happy path of POST /api/agents/send through the whole real system: the reply lands in the
 * backend as one agent message under a JWT the backend verified, kickoff plans become documents,
 * history reaches the model in the right shape, `?wait=false` can be polled, and the turn is
 * findable and readable in the Temporal UI (search attributes, summaries).
 */
import {
  ClasperAgentRole,
  ClasperSessionKey,
  ClasperTaskId,
  ClasperTrigger,
  ClasperUserId,
} from '../../src/shared/search-attributes';
import { DEFAULT_KICKOFF_NOTE } from '../../src/shared/turn';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { sendBody, TEST_OPENAI_KEY } from '../support/stack';
import {
  decodePayload,
  eventually,
  historyEvents,
  messagesOf,
  send,
  systemPromptOf,
  useStack,
} from './helpers';

/** First non-blank line of the writer's soul, to recognise the persona in the system prompt. */
const WRITER_SOUL_LINE = fs
  .readFileSync(path.join(REPO_ROOT, 'workspace/souls/writer.md'), 'utf8')
  .split('\n')
  .find((l) => l.trim() !== '')
  ?.trim() as string;

describe('POST /api/agents/send', () => {
  const stack = useStack();

  it('runs a turn and posts exactly one agent message, as the role of the session key, under an accepted JWT', async () => {
    stack().llm.script({ text: 'Here is the plan.' });
    const res = await send(
      stack(),
      sendBody({ user_id: 'alice', session_key: 'user:alice:writer', task_title: 'Basic send' }),
    );
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      status: 'ok',
      response: 'Here is the plan.',
      iterations: 1,
      capped: false,
      posted: true,
      tool_calls: [],
      model: 'gpt-4o-mini',
    });
    expect(body.turn_id).toMatch(/^agent-turn\/alice\//);
    expect(body.usage.total_tokens).toBeGreaterThan(0);
    // The session key's role chose the persona (workspace/souls/writer.md) and the tools were offered.
    const req = stack().llm.lastRequest();
    expect(systemPromptOf(req)).toContain(WRITER_SOUL_LINE);
    expect(req.headers.authorization).toBe(`Bearer ${TEST_OPENAI_KEY}`);
    expect(messagesOf(req).at(-1)).toEqual({ role: 'user', content: 'Hello agent' });

    // The backend stored the message under the JWT's user (it scopes every write by the token),
    // and the role the token and the message carry is the session key's.
    const data = await stack().backend.inspect();
    expect(data.messages).toHaveLength(1);
    expect(data.messages[0]).toMatchObject({
      id: body.message_id,
      user_id: 'alice',
      task_id: body.task_id,
      content: 'Here is the plan.',
      actor_type: 'agent',
      agent_role: 'writer',
    });
    expect(data.tasks.filter((t) => t.id === body.task_id)).toEqual([
      expect.objectContaining({ user_id: 'alice', title: 'Basic send' }),
    ]);
  });

  it('with metadata.kickoff_plan writes a plan document titled plan_title and puts the kickoff note in the prompt', async () => {
    stack().llm.script({ text: '1. Research\n2. Draft\n3. Ship' });
    const res = await send(
      stack(),
      sendBody({
        user_id: 'kick',
        session_key: 'user:kick:lead',
        message: 'Launch the Q3 newsletter',
        task_title: 'Newsletter',
        metadata: {
          kickoff_plan: true,
          plan_title: 'Q3 Newsletter Plan',
          kickoff_note: 'KICKOFF-NOTE-7781: plan it.',
        },
      }),
    );
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.document_id).toBeDefined();

    const userTurn = messagesOf(stack().llm.lastRequest()).at(-1);
    expect(userTurn?.role).toBe('user');
    expect(userTurn?.content).toBe('KICKOFF-NOTE-7781: plan it.\n\nUser request: Launch the Q3 newsletter');

    const data = await stack().backend.inspect('kick');
    expect(data.documents).toEqual([
      expect.objectContaining({
        id: body.document_id,
        task_id: body.task_id,
        title: 'Q3 Newsletter Plan',
        doc_type: 'plan',
        content: '1. Research\n2. Draft\n3. Ship',
      }),
    ]);
    expect(data.messages.map((m) => m.content)).toEqual(['1. Research\n2. Draft\n3. Ship']);
  });

  it('kickoff_plan without plan_title or kickoff_note uses "Plan" and the default note', async () => {
    stack().llm.script({ text: 'Default plan.' });
    const res = await send(
      stack(),
      sendBody({
        user_id: 'kick2',
        session_key: 'user:kick2:lead',
        message: 'Do it',
        metadata: { kickoff_plan: true },
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(messagesOf(stack().llm.lastRequest()).at(-1)?.content).toBe(
      `${DEFAULT_KICKOFF_NOTE}\n\nUser request: Do it`,
    );
    const data = await stack().backend.inspect('kick2');
    expect(data.documents).toEqual([
      expect.objectContaining({ title: 'Plan', doc_type: 'plan', content: 'Default plan.' }),
    ]);
  });

  it('without kickoff_plan writes no document and sends the message as is', async () => {
    stack().llm.script({ text: 'Just a reply.' });
    const res = await send(
      stack(),
      sendBody({ user_id: 'nokick', session_key: 'user:nokick:lead', message: 'Plain' }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().document_id).toBeUndefined();
    expect(messagesOf(stack().llm.lastRequest()).at(-1)).toEqual({ role: 'user', content: 'Plain' });
    expect((await stack().backend.inspect('nokick')).documents).toEqual([]);
  });

  it('folds system history into the system prompt and sends user/assistant history in order', async () => {
    stack().llm.script({ text: 'Continuing.' });
    const res = await send(
      stack(),
      sendBody({
        user_id: 'hist',
        session_key: 'user:hist:lead',
        message: 'And now the third thing',
        messages: [
          { role: 'system', content: 'SUMMARY-XYZ: the user wants three things.' },
          { role: 'user', content: 'First thing please' },
          { role: 'assistant', content: 'Done with the first.' },
          { role: 'user', content: 'Second thing please' },
          { role: 'assistant', content: 'Done with the second.' },
        ],
      }),
    );
    expect(res.statusCode).toBe(200);
    const req = stack().llm.lastRequest();
    const messages = messagesOf(req);
    // Exactly one system message: the prompt, with the summary under its own heading.
    const prompt = systemPromptOf(req);
    expect(messages[0]?.role).toBe('system');
    expect(prompt).toMatch(/## Conversation Context\n\nSUMMARY-XYZ: the user wants three things\./);
    expect(prompt.indexOf('## Conversation Context')).toBeLessThan(prompt.indexOf('## Current Time'));
    expect(messages.filter((m) => String(m.content).includes('SUMMARY-XYZ'))).toHaveLength(1);
    expect(messages.slice(1)).toEqual([
      { role: 'user', content: 'First thing please' },
      { role: 'assistant', content: 'Done with the first.' },
      { role: 'user', content: 'Second thing please' },
      { role: 'assistant', content: 'Done with the second.' },
      { role: 'user', content: 'And now the third thing' },
    ]);
  });

  it('?wait=false answers 202 with a status_url that reaches completed with the result', async () => {
    stack().llm.script({ text: 'Async answer.', delayMs: 300 });
    const res = await send(stack(), sendBody({ user_id: 'async', session_key: 'user:async:lead' }), {
      query: 'wait=false',
    });
    expect(res.statusCode).toBe(202);
    const accepted = res.json();
    expect(accepted).toEqual({
      status: 'accepted',
      turn_id: expect.stringMatching(/^agent-turn\/async\//),
      status_url: expect.any(String),
    });

    const seen = new Set<string>();
    const done = await eventually(async () => {
      const poll = await stack().api.inject({ method: 'GET', url: accepted.status_url });
      expect(poll.statusCode).toBe(200);
      const status = poll.json();
      seen.add(status.status);
      return status.status === 'completed' ? status : undefined;
    });
    expect(seen.has('running')).toBe(true);
    expect(done).toMatchObject({
      turn_id: accepted.turn_id,
      status: 'completed',
      result: { status: 'ok', turn_id: accepted.turn_id, response: 'Async answer.' },
    });
    expect((await stack().backend.inspect('async')).messages).toHaveLength(1);
  });

  it('Prefer: respond-async also answers 202', async () => {
    stack().llm.script({ text: 'Preferred async.' });
    const res = await send(stack(), sendBody({ user_id: 'prefer', session_key: 'user:prefer:lead' }), {
      headers: { prefer: 'respond-async' },
    });
    expect(res.statusCode).toBe(202);
    const { status_url: statusUrl } = res.json();
    await eventually(async () => {
      const poll = await stack().api.inject({ method: 'GET', url: statusUrl });
      return poll.json().status === 'completed' ? true : undefined;
    });
  });

  it('an unknown turn id is a 404', async () => {
    for (const id of ['agent-turn/nobody/no-such-turn', 'not-a-turn-id']) {
      const res = await stack().api.inject({
        method: 'GET',
        url: `/api/agents/turns/${encodeURIComponent(id)}`,
      });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: expect.stringContaining(id) });
    }
  });

  it('sets search attributes, the static summary and activity summaries for the Temporal UI', async () => {
    stack().llm.script(
      { toolCalls: [{ id: 'call_sa', name: 'create_task', arguments: { title: 'Write report' } }] },
      { text: 'Created it.' },
    );
    const res = await send(
      stack(),
      sendBody({
        user_id: 'ui',
        session_key: 'user:ui:researcher',
        message: 'Make a report task\nsecond line',
        task_title: 'UI task',
      }),
    );
    expect(res.statusCode).toBe(200);
    const { turn_id: turnId, task_id: taskId } = res.json();

    const desc = await stack().client.workflow.getHandle(turnId).describe();
    const sa = desc.typedSearchAttributes;
    expect(sa.get(ClasperUserId)).toBe('ui');
    expect(sa.get(ClasperSessionKey)).toBe('user:ui:researcher');
    expect(sa.get(ClasperAgentRole)).toBe('researcher');
    expect(sa.get(ClasperTrigger)).toBe('api');
    expect(sa.get(ClasperTaskId)).toBe(taskId);
    expect(await desc.staticSummary()).toBe('researcher (api): Make a report task');

    const summaries = (await historyEvents(stack(), turnId))
      // Regular activities are scheduled events; local ones (the cheap keyed steps) are markers.
      .filter(
        (e) =>
          e.activityTaskScheduledEventAttributes ||
          e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
      )
      .map((e) => decodePayload(e.userMetadata?.summary));
    // Every activity has a summary, and the turn's steps read in order; the three setup steps run
    // at once, so their markers come in whichever order they finished.
    for (const summary of summaries) expect(summary).toEqual(expect.stringMatching(/\S/));
    const setup = ['resolve task "UI task"', 'load workspace for researcher', 'list tools'];
    expect([...summaries.slice(0, 3)].sort()).toEqual([...setup].sort());
    const steps = [
      'model step 1',
      'create_task {"title":"Write report"}',
      'model step 2',
      `post reply on task ${taskId}`,
    ];
    expect(summaries.slice(3)).toEqual(steps);
  });
});

/**
 * Which task a turn replies on (docs/architecture.md, "The AgentTurn step shape", step 1): task_id as given,
 * once the backend's task list confirms it (404 before any model call otherwise); else
 * find-or-create by task_title, searching every page of the user's tasks; else
 * CLASPER_DEFAULT_TASK. Find-or-create is keyed, so two concurrent turns with the same new title
 * create one task. (No task at all → 400 needs a runtime without CLASPER_DEFAULT_TASK: see
 * validation.test.ts.)
 */
import { sendBody } from '../support/stack';
import { backendAsAgent, createTask, send, useStack } from './helpers';

describe('task resolution', () => {
  const stack = useStack({ env: { CLASPER_DEFAULT_TASK: 'Inbox' } });

  it('task_title finds an existing task beyond the first pages of the task list', async () => {
    const user = 'pager';
    // 130 tasks: beyond the backend's default page (50) and beyond the runtime's page size (100),
    // so finding the target needs the cursor.
    const ids: string[] = [];
    for (let i = 0; i < 130; i++)
      ids.push(await createTask(stack(), user, `Task ${String(i).padStart(3, '0')}`));
    const target = 'Task 117';
    const firstPage = await backendAsAgent(stack(), user, 'GET', '/api/mission-control/tasks?limit=100');
    expect((firstPage.json as { items: { title: string }[] }).items.map((t) => t.title)).not.toContain(
      target,
    );

    stack().llm.script({ text: 'On the deep task.' });
    const res = await send(
      stack(),
      sendBody({ user_id: user, session_key: `user:${user}:lead`, task_title: target }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().task_id).toBe(ids[117]);

    const data = await stack().backend.inspect(user);
    expect(data.tasks).toHaveLength(130);
    expect(data.messages).toEqual([
      expect.objectContaining({ task_id: ids[117], content: 'On the deep task.' }),
    ]);
  });

  it('task_title matches exactly: a task whose title only differs in case or spacing is not used', async () => {
    const user = 'exact';
    const near = await createTask(stack(), user, 'weekly report');
    await createTask(stack(), user, 'Weekly report ');
    stack().llm.script({ text: 'Exact.' });
    const res = await send(
      stack(),
      sendBody({ user_id: user, session_key: `user:${user}:lead`, task_title: 'Weekly report' }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().task_id).not.toBe(near);
    const data = await stack().backend.inspect(user);
    expect(data.tasks.filter((t) => t.title === 'Weekly report')).toEqual([
      expect.objectContaining({ id: res.json().task_id }),
    ]);
  });

  it('task_title creates the task when none has that title, with the given description', async () => {
    const user = 'creator';
    stack().llm.script({ text: 'New task reply.' });
    const res = await send(
      stack(),
      sendBody({
        user_id: user,
        session_key: `user:${user}:lead`,
        task_title: 'Brand new',
        task_description: 'Made by the runtime',
      }),
    );
    expect(res.statusCode).toBe(200);
    const data = await stack().backend.inspect(user);
    expect(data.tasks).toEqual([
      expect.objectContaining({
        id: res.json().task_id,
        title: 'Brand new',
        description: 'Made by the runtime',
      }),
    ]);
    expect(data.messages).toEqual([expect.objectContaining({ task_id: res.json().task_id })]);
  });

  /**
   * Holds task creation back (the delay runs before the backend's handler), so the second turn's
   * lookup runs before the first turn's create lands: both miss the task and both create it.
   */
  async function slowTaskCreates(times: number): Promise<void> {
    const res = await stack().backend.internal('POST', '/api/mission-control/_faults', {
      rules: [{ method: 'POST', path: '/api/mission-control/tasks', mode: 'delay', delay_ms: 400, times }],
    });
    expect(res.status).toBe(200);
  }

  async function appliedFaults(): Promise<number> {
    const res = await stack().backend.internal('GET', '/api/mission-control/_faults');
    return ((await res.json()) as { applied_count: number }).applied_count;
  }

  it.each([
    ['the same body', 'racer1', {}, {}],
    // Different descriptions make the second create a 409 (same key, other body): it must re-find the task.
    ['different descriptions', 'racer2', { task_description: 'From A' }, { task_description: 'From B' }],
  ])(
    'two concurrent sends with the same new title create exactly one task (%s)',
    async (_label, user, extraA, extraB) => {
      const before = await appliedFaults();
      await slowTaskCreates(2);
      stack().llm.script({ text: 'Reply A.' }, { text: 'Reply B.' });
      const body = sendBody({ user_id: user, session_key: `user:${user}:lead`, task_title: 'Race title' });
      // Two sessions (roles) of the user: turns of one session would run one after the other.
      const [a, b] = await Promise.all([
        send(stack(), { ...body, ...extraA }),
        send(stack(), { ...body, session_key: `user:${user}:writer`, ...extraB }),
      ]);
      expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
      expect(await appliedFaults()).toBe(before + 2);
      expect(a.json().turn_id).not.toBe(b.json().turn_id);
      expect(a.json().task_id).toBe(b.json().task_id);

      const data = await stack().backend.inspect(user);
      expect(data.tasks.filter((t) => t.title === 'Race title')).toHaveLength(1);
      expect(data.messages.map((m) => m.task_id)).toEqual([a.json().task_id, a.json().task_id]);
      expect(data.messages.map((m) => m.content).sort()).toEqual(['Reply A.', 'Reply B.']);
    },
  );

  it('task_id is used as given (and wins over task_title)', async () => {
    const user = 'byid';
    const taskId = await createTask(stack(), user, 'Existing by id');
    stack().llm.script({ text: 'On the given task.' });
    const res = await send(
      stack(),
      sendBody({
        user_id: user,
        session_key: `user:${user}:lead`,
        task_id: taskId,
        task_title: 'Should not be created',
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().task_id).toBe(taskId);
    const data = await stack().backend.inspect(user);
    expect(data.tasks.map((t) => t.title)).toEqual(['Existing by id']);
    expect(data.messages).toEqual([
      expect.objectContaining({ task_id: taskId, content: 'On the given task.' }),
    ]);
  });

  it('an unknown task_id (or another user’s) is a 404 before the model is called', async () => {
    const owner = 'task-owner';
    const theirs = await createTask(stack(), owner, 'Not yours');
    const before = stack().llm.requests.length;
    for (const taskId of ['no-such-task', theirs]) {
      const res = await send(
        stack(),
        sendBody({ user_id: 'stranger', session_key: 'user:stranger:lead', task_id: taskId }),
      );
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({
        error: expect.stringContaining(`task '${taskId}' does not exist for user 'stranger'`),
        turn_id: expect.stringMatching(/^agent-turn\/stranger\//),
      });
    }
    expect(
      stack()
        .llm.requests.slice(before)
        .filter((r) => r.path.includes('chat')),
    ).toEqual([]);
    expect((await stack().backend.inspect('stranger')).messages).toEqual([]);
  });

  it('CLASPER_DEFAULT_TASK is used when the request names no task, and found again next time', async () => {
    const user = 'inboxer';
    stack().llm.script({ text: 'First in inbox.' }, { text: 'Second in inbox.' });
    const body = sendBody({ user_id: user, session_key: `user:${user}:lead` });
    delete body.task_title;
    const first = await send(stack(), body);
    expect(first.statusCode).toBe(200);
    const second = await send(stack(), body);
    expect(second.statusCode).toBe(200);
    expect(second.json().task_id).toBe(first.json().task_id);

    const data = await stack().backend.inspect(user);
    expect(data.tasks).toEqual([expect.objectContaining({ id: first.json().task_id, title: 'Inbox' })]);
    expect(data.messages.map((m) => m.content)).toEqual(['First in inbox.', 'Second in inbox.']);
  });
});

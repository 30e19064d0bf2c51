import { startStack, sendBody, type Stack } from '../support/stack';

describe('POST /api/agents/send', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('runs a turn and posts exactly one agent message', async () => {
    stack.llm.script({ text: 'Here is the plan.' });
    const res = await stack.api.inject({ method: 'POST', url: '/api/agents/send', payload: sendBody() });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: 'ok', response: 'Here is the plan.', iterations: 1, capped: false });
    const data = await stack.backend.inspect('u1');
    const messages = data.messages.filter((m) => m.task_id === body.task_id);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ content: 'Here is the plan.', actor_type: 'agent', agent_role: 'lead' });
  });
});

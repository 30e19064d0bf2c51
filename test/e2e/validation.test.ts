/**
 * Bad input to POST /api/agents/send (README.md, "HTTP API"): every malformed request is a 4xx
 * `{error}` that says what is wrong, never a 500, and never starts a turn. This runtime has no
 * CLASPER_DEFAULT_TASK, a 2 KB body limit and private webhook destinations refused.
 */
import { sendBody } from '../support/stack';
import { send, useStack } from './helpers';

describe('send validation', () => {
  const stack = useStack({
    env: { CLASPER_BODY_LIMIT_BYTES: '2048', CLASPER_WEBHOOK_ALLOW_PRIVATE: 'false' },
  });

  /** No bad request may start a turn: nothing reached the model and nothing was stored. */
  async function expectNoTurn(): Promise<void> {
    expect(stack().llm.chatRequests()).toHaveLength(0);
    const data = await stack().backend.inspect();
    expect([...data.tasks, ...data.messages]).toEqual([]);
  }

  async function expect400(body: unknown, pattern: RegExp, headers?: Record<string, string>) {
    const res = await send(stack(), body, { headers });
    expect(res.statusCode).toBe(400);
    await expectNoTurn();
    const json = res.json();
    expect(typeof json.error).toBe('string');
    expect(json.error).toMatch(pattern);
    return json;
  }

  it('invalid JSON is a 400 with an error', async () => {
    const res = await stack().api.inject({
      method: 'POST',
      url: '/api/agents/send',
      headers: { 'content-type': 'application/json' },
      payload: '{"user_id": "u1", "message": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: expect.stringMatching(/JSON/i) });
    await expectNoTurn();
  });

  it('a missing message is a 400 naming the field', async () => {
    const body = sendBody();
    delete body.message;
    const json = await expect400(body, /message/);
    expect(json.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: expect.stringContaining('message') })]),
    );
  });

  it('fields of the wrong type are a 400, not a 500', async () => {
    await expect400(sendBody({ messages: 'not a list' }), /messages/);
    await expect400(sendBody({ messages: [{ role: 'tool', content: 'x' }] }), /messages/);
    await expect400(sendBody({ message: 42 }), /message/);
    await expect400([1, 2, 3], /invalid request/);
  });

  it('a session_key whose user does not match user_id is a 400', async () => {
    await expect400(
      sendBody({ user_id: 'u1', session_key: 'user:u2:lead' }),
      /user_id does not match session_key/,
    );
  });

  it('a malformed session_key or a role that could be a path is a 400', async () => {
    await expect400(sendBody({ session_key: 'u1-lead' }), /session_key/);
    await expect400(sendBody({ session_key: 'user:u1:../etc' }), /session_key.*role/);
    await expect400(sendBody({ session_key: 'user:u1:lead/../../secrets' }), /session_key/);
  });

  it('an invalid metadata.timezone is a 400', async () => {
    await expect400(sendBody({ metadata: { timezone: 'Mars/Olympus_Mons' } }), /timezone/);
  });

  it('no task at all (no task_id, no task_title, no CLASPER_DEFAULT_TASK) is a 400 that says what to pass', async () => {
    const body = sendBody();
    delete body.task_title;
    await expect400(body, /task_id or task_title.*CLASPER_DEFAULT_TASK/);
  });

  it('a body over CLASPER_BODY_LIMIT_BYTES is a 413', async () => {
    const res = await send(stack(), sendBody({ message: 'x'.repeat(3000) }));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: expect.stringMatching(/too large/) });
    await expectNoTurn();
  });

  it('a webhook url that is not http(s) is a 400', async () => {
    await expect400(sendBody({ webhook: { url: 'ftp://x' } }), /webhook\.url/);
    await expect400(sendBody({ webhook: { url: 'not a url' } }), /webhook\.url/);
  });

  it('a webhook to a private or metadata address is a 400 while private destinations are refused', async () => {
    await expect400(
      sendBody({ webhook: { url: 'http://169.254.169.254/latest/meta-data' } }),
      /webhook\.url.*169\.254\.169\.254/,
    );
    await expect400(sendBody({ webhook: { url: 'http://127.0.0.1:9/hook' } }), /webhook\.url/);
    await expect400(sendBody({ webhook: { url: 'http://localhost/hook' } }), /webhook\.url/);
  });

  it('a malformed Idempotency-Key header is a 400', async () => {
    await expect400(sendBody(), /idempotency-key/i, { 'idempotency-key': 'has spaces and / slashes' });
  });
});

/**
 * Security of the runtime end to end: the daemon key guards every endpoint but /health (README.md,
 * "HTTP API"), and secrets never enter workflow history (docs/architecture.md, "Secrets never enter
 * history"): not the JWT secret, not a minted JWT, not the OpenAI key, not a caller's webhook
 * secret or headers, even when a provider echoes the key.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendBody, TEST_JWT_SECRET, TEST_OPENAI_KEY } from '../support/stack';
import { makeWebhookDeliveryId } from '../../src/shared/webhook';
import { eventually, historyText, send, useStack } from './helpers';

const DAEMON_KEY = 'e2e-daemon-key-7f3a9c';
const JWT_PATTERN = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
const auth = { 'x-agent-daemon-key': DAEMON_KEY };

describe('security', () => {
  const stack = useStack({ env: { AGENT_DAEMON_API_KEY: DAEMON_KEY } });

  describe('daemon key', () => {
    it('is required on /api/agents/send: 401 without it, 403 when wrong, 200 when right', async () => {
      const body = sendBody({ user_id: 'guarded', session_key: 'user:guarded:lead' });
      const missing = await send(stack(), body);
      expect(missing.statusCode).toBe(401);
      expect(missing.json()).toEqual({ error: expect.stringContaining('X-Agent-Daemon-Key') });

      const wrong = await send(stack(), body, { headers: { 'x-agent-daemon-key': `${DAEMON_KEY}-nope` } });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json()).toEqual({ error: expect.stringContaining('X-Agent-Daemon-Key') });
      expect(JSON.stringify(wrong.json())).not.toContain(DAEMON_KEY);

      // Neither refused request started a turn.
      expect(stack().llm.chatRequests()).toHaveLength(0);

      stack().llm.script({ text: 'Authorised.' });
      const ok = await send(stack(), body, { headers: auth });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().response).toBe('Authorised.');
    });

    it('guards the other endpoints too, and deep health, but not the plain /health', async () => {
      const turns = await stack().api.inject({ method: 'GET', url: '/api/agents/turns/agent-turn%2Fx%2Fy' });
      expect(turns.statusCode).toBe(401);
      const docs = await stack().api.inject({ method: 'GET', url: '/docs/json' });
      expect(docs.statusCode).toBe(401);
      const unknown = await stack().api.inject({ method: 'GET', url: '/no/such/route' });
      expect(unknown.statusCode).toBe(401);

      const health = await stack().api.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);
      expect(health.json().status).toBe('ok');
      const deep = await stack().api.inject({ method: 'GET', url: '/health?deep=true' });
      expect(deep.statusCode).toBe(401);
    });
  });

  describe('workflow history', () => {
    let receiver: http.Server;
    let receiverUrl: string;
    let receiverOrigin: string;
    const received: string[] = [];
    // A receiver's token in the URL's query: it must not reach history either.
    const HOOK_PATH = '/hooks/clasper?token=HOOK-QUERY-TOKEN-7781';
    beforeAll(async () => {
      receiver = http.createServer((req, res) => {
        received.push(req.url ?? '');
        req.resume();
        req.on('end', () => res.writeHead(204).end());
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
      receiverUrl = `${receiverOrigin}${HOOK_PATH}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    });

    const WEBHOOK_SECRET = 'whsec-e2e-caller-secret-5521';
    const WEBHOOK_HEADER_SECRET = 'Bearer receiver-header-secret-8832';

    function expectNoSecrets(text: string): void {
      expect(text).not.toContain(TEST_JWT_SECRET);
      expect(text).not.toContain(TEST_OPENAI_KEY);
      expect(text).not.toContain(DAEMON_KEY);
      expect(text).not.toContain(WEBHOOK_SECRET);
      expect(text).not.toContain(WEBHOOK_HEADER_SECRET);
      expect(text.match(JWT_PATTERN)).toBeNull();
    }

    it('holds no secret of a turn that used tools, a failing tool and a signed webhook, yet holds its text', async () => {
      stack().llm.script(
        {
          toolCalls: [
            { id: 'call_new', name: 'create_task', arguments: { title: 'HISTORY-TOOL-TASK-4410' } },
            { id: 'call_bad', name: 'add_numbers', arguments: { a: 'x', b: 1 } },
          ],
        },
        { text: 'HISTORY-REPLY-TEXT-9931' },
      );
      const res = await send(
        stack(),
        sendBody({
          user_id: 'scan',
          session_key: 'user:scan:lead',
          message: 'HISTORY-MESSAGE-TEXT-1207',
          webhook: {
            url: receiverUrl,
            secret: WEBHOOK_SECRET,
            headers: { Authorization: WEBHOOK_HEADER_SECRET },
          },
        }),
        { headers: auth },
      );
      expect(res.statusCode).toBe(200);
      expect(res.json().tool_calls).toEqual([
        { name: 'create_task', ok: true },
        { name: 'add_numbers', ok: false, error: expect.any(String) },
      ]);

      const text = await historyText(stack(), res.json().turn_id);
      // The scan reads payloads for real: the turn's own text is there.
      expect(text).toContain('HISTORY-MESSAGE-TEXT-1207');
      expect(text).toContain('HISTORY-TOOL-TASK-4410');
      expect(text).toContain('HISTORY-REPLY-TEXT-9931');
      // Only the webhook's origin is in clear; its path and query token travel sealed…
      expect(text).toContain(receiverOrigin);
      expect(text).not.toContain('/hooks/clasper');
      expect(text).not.toContain('HOOK-QUERY-TOKEN-7781');
      expectNoSecrets(text);
      // …and the delivery still went to the whole URL.
      await eventually(async () => (received.includes(HOOK_PATH) ? true : undefined), 20_000);
      const delivery = await historyText(
        stack(),
        makeWebhookDeliveryId(res.json().turn_id, 'agent.completed'),
      );
      expect(delivery).toContain(receiverOrigin);
      expect(delivery).not.toContain('HOOK-QUERY-TOKEN-7781');
    });

    it('holds no OpenAI key of a failed turn even when the provider echoes the key', async () => {
      stack().llm.script({ status: 401, error: `Incorrect API key provided: ${TEST_OPENAI_KEY}.` });
      const res = await send(
        stack(),
        sendBody({
          user_id: 'scanfail',
          session_key: 'user:scanfail:lead',
          message: 'HISTORY-FAILED-TURN-3318',
          webhook: { url: receiverUrl, secret: WEBHOOK_SECRET },
        }),
        { headers: auth },
      );
      expect(res.statusCode).toBe(502);
      expect(res.json().error).toContain('Incorrect API key provided');
      expect(res.json().error).not.toContain(TEST_OPENAI_KEY);

      const text = await historyText(stack(), res.json().turn_id);
      expect(text).toContain('HISTORY-FAILED-TURN-3318');
      expect(text).toContain('Incorrect API key provided');
      expectNoSecrets(text);
    });
  });
});

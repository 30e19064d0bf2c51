/**
 * Scenario 7, "no one gets in", against the running system (API, worker process, backend):
 *   - no secret value and no JWT in any workflow history of the run, any worker log line or any
 *     API log line, including failed turns and webhook turns;
 *   - the backend refuses alg:none, a wrong secret, an expired token and a token of another type;
 *   - webhook targets: http(s) only, private/loopback/link-local refused unless allowed, and the
 *     delivered signature carries a timestamp a receiver can verify;
 *   - one user's turn cannot read or write another user's data through any tool.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { buildApp } from '../../src/api/app';
import { createWorkspace } from '../../src/clients/workspace';
import { loadConfig } from '../../src/config';
import { mintAgentToken } from '../../src/clients/mission-control/jwt';
import { verifyWebhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/clients/webhook/sign';
import type { RecordedRequest } from '../support/fake-openai';
import { scanServerHistories, STACK_TEST_SECRETS } from '../support/history-scan';
import { TEST_INTERNAL_TOKEN, TEST_JWT_SECRET, TEST_OPENAI_KEY } from '../support/stack';
import { fetchHistories, workflowIdsOnQueue } from './lib/histories';
import { secretFindings } from './lib/figures';
import { describeFindings, scanText } from './lib/secrets';
import { startScenarioStack, type ScenarioStack } from './lib/scenario-stack';
import { modelStepOf, planStep, planTurns, sendBodyFor, turnTagOf } from './lib/turn-plan';

jest.setTimeout(90_000);

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('reliability: security of a full run', () => {
  let stack: ScenarioStack;
  let receiver: http.Server;
  let webhookUrl = '';
  const received: Received[] = [];
  const jwtSecret = () => stack.secrets.find((s) => s.name === 'AGENT_JWT_SECRET')?.value ?? '';

  beforeAll(async () => {
    const bundlePath = process.env.CLASPER_TEST_WORKFLOW_BUNDLE;
    const temporalAddress = process.env.CLASPER_TEST_TEMPORAL_ADDRESS;
    if (!bundlePath || !temporalAddress)
      throw new Error('the jest global setup did not start Temporal / bundle workflows');
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString('utf8')));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/clasper`;
    stack = await startScenarioStack({
      bundlePath,
      temporalAddress,
      turnTimings: { modelRetryInitialMs: 100 },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  const backendCall = async (token: string | undefined, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.backendUrl}${path}`, {
      method,
      headers: {
        ...(token ? { 'x-agent-token': token } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it("one user's turn cannot read or write another user's data through any tool", async () => {
    const victimToken = await mintAgentToken({
      secret: jwtSecret(),
      algorithm: 'HS256',
      ttlSec: 300,
      userId: 'sec-victim',
      role: 'lead',
    });
    const victimTask = await backendCall(victimToken, 'POST', '/api/mission-control/tasks', {
      title: 'Victim secret plan',
    });
    expect(victimTask.status).toBe(200);
    const victimTaskId = String(victimTask.json.id);

    const [turn] = planTurns('sec-iso', 1, 1);
    if (!turn) throw new Error('no turn');
    const seenToolResults: string[] = [];
    stack.llm.respond((req: RecordedRequest) => {
      if (turnTagOf(req) !== turn.tag) return undefined;
      if (modelStepOf(req) === 1) {
        return {
          toolCalls: [
            { id: 'c_list', name: 'list_tasks', arguments: { limit: 100 } },
            { id: 'c_msg', name: 'post_message', arguments: { task_id: victimTaskId, content: 'pwned' } },
            {
              id: 'c_doc',
              name: 'create_document',
              arguments: { task_id: victimTaskId, title: 'pwned', content: 'pwned' },
            },
            { id: 'c_as', name: 'create_task', arguments: { title: 'as victim', user_id: 'sec-victim' } },
            { id: 'c_tool', name: 'echo', arguments: { text: 'hi', user_id: 'sec-victim' } },
          ],
        };
      }
      for (const m of req.body?.messages ?? [])
        if (m.role === 'tool') seenToolResults.push(String(m.content));
      return { text: `Done ${turn.tag}` };
    });
    const res = await stack.api.inject({
      method: 'POST',
      url: '/api/agents/send',
      headers: { 'x-agent-daemon-key': stack.daemonKey, 'idempotency-key': turn.key },
      payload: { ...sendBodyFor(turn), metadata: {} },
    });
    expect(res.statusCode).toBe(200);
    const calls = (res.json() as { tool_calls: { name: string; ok: boolean; error?: string }[] }).tool_calls;
    expect(calls).toEqual([
      { name: 'list_tasks', ok: true },
      { name: 'post_message', ok: false, error: expect.stringMatching(/404|does not exist/) },
      { name: 'create_document', ok: false, error: expect.stringMatching(/404|does not exist/) },
      { name: 'create_task', ok: false, error: expect.stringMatching(/user_id/) },
      { name: 'echo', ok: false, error: expect.stringMatching(/user_id|arguments/) },
    ]);
    // The attacker's listing held only its own tasks; the victim's data is exactly as it was.
    expect(seenToolResults.join('\n')).not.toContain('Victim secret plan');
    const stored = await stack.inspect();
    expect(stored.tasks.filter((t) => t.user_id === 'sec-victim').map((t) => t.title)).toEqual([
      'Victim secret plan',
    ]);
    expect(stored.messages.filter((m) => m.user_id === 'sec-victim' || m.task_id === victimTaskId)).toEqual(
      [],
    );
    expect(stored.documents.filter((d) => d.user_id === 'sec-victim' || d.task_id === victimTaskId)).toEqual(
      [],
    );
  });

  it('the backend refuses alg:none, a wrong secret, an expired token and a token of another type', async () => {
    const key = new TextEncoder().encode(jwtSecret());
    const now = Math.floor(Date.now() / 1000);
    const claims = { type: 'agent', user_id: 'sec-u', agent_role: 'lead' };
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const tokens: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, exp: now + 300 })}.`,
      'wrong secret': await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(now + 300)
        .sign(new TextEncoder().encode('not-the-secret-0123456789')),
      expired: await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(now - 1000)
        .setExpirationTime(now - 600)
        .sign(key),
      'another type': await new SignJWT({ ...claims, type: 'internal' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(now + 300)
        .sign(key),
      'HS512 instead of HS256': await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS512' })
        .setExpirationTime(now + 300)
        .sign(key),
    };
    for (const [what, token] of Object.entries(tokens)) {
      const res = await backendCall(token, 'GET', '/api/mission-control/tasks');
      expect([what, res.status, typeof res.json.error]).toEqual([what, 401, 'string']);
    }
    const good = await mintAgentToken({
      secret: jwtSecret(),
      algorithm: 'HS256',
      ttlSec: 300,
      userId: 'sec-u',
      role: 'lead',
    });
    expect((await backendCall(good, 'GET', '/api/mission-control/tasks')).status).toBe(200);
  });

  it('webhooks: http(s) only and no private, loopback or link-local target unless CLASPER_WEBHOOK_ALLOW_PRIVATE=true', async () => {
    const strictConfig = loadConfig({
      TEMPORAL_ADDRESS: stack.temporalAddress,
      CLASPER_TASK_QUEUE: `${stack.taskQueue}-never-polled`,
      AGENT_JWT_SECRET: jwtSecret(),
      CLASPER_RATE_LIMIT_PER_MINUTE: '0',
    });
    const strict = await buildApp({
      config: strictConfig,
      client: stack.client,
      workspace: createWorkspace({ root: strictConfig.agent.workspace, env: {}, includeTimeContext: true }),
    });
    try {
      const refused = [
        'http://127.0.0.1:8080/hook',
        'http://localhost/hook',
        'http://[::1]/hook',
        'http://10.1.2.3/hook',
        'http://192.168.0.10/hook',
        'http://172.16.5.4/hook',
        'http://169.254.169.254/latest/meta-data/',
        'http://[fe80::1]/hook',
        'http://0.0.0.0/hook',
        'http://[::ffff:127.0.0.1]/hook',
        'ftp://example.com/hook',
        'file:///etc/passwd',
        'javascript:alert(1)',
        'http://user:pass@example.com/hook',
      ];
      for (const url of refused) {
        const res = await strict.inject({
          method: 'POST',
          url: '/api/agents/send?wait=false',
          payload: {
            user_id: 'sec-w',
            session_key: 'user:sec-w:lead',
            message: 'hi',
            task_title: 't',
            webhook: { url },
          },
        });
        expect([url, res.statusCode, res.json().error]).toEqual([
          url,
          400,
          expect.stringContaining('webhook.url is not allowed'),
        ]);
      }
    } finally {
      await strict.close();
    }
  });

  it('a delivered webhook is signed over its timestamp and body, and the receiver can verify it', async () => {
    const [turn] = planTurns('sec-hook', 1, 1);
    if (!turn) throw new Error('no turn');
    stack.llm.respond((req) => (turnTagOf(req) === turn.tag ? planStep(req) : undefined));
    const secret = `whsec-${crypto.randomBytes(8).toString('hex')}`;
    const res = await stack.api.inject({
      method: 'POST',
      url: '/api/agents/send',
      headers: { 'x-agent-daemon-key': stack.daemonKey, 'idempotency-key': turn.key },
      payload: {
        ...sendBodyFor(turn),
        webhook: { url: webhookUrl, secret, headers: { 'X-Receiver-Token': `rcv-${secret}` } },
      },
    });
    expect(res.statusCode).toBe(200);
    const deadline = Date.now() + 20_000;
    while (!received.some((r) => r.body.includes(turn.turnId)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const hook = received.find((r) => r.body.includes(turn.turnId));
    if (!hook) throw new Error('the webhook never arrived');
    const signature = hook.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    const timestamp = hook.headers[TIMESTAMP_HEADER.toLowerCase()] as string;
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(verifyWebhookSignature({ secret, signature, timestamp, body: hook.body })).toBe(true);
    expect(
      verifyWebhookSignature({
        secret,
        signature,
        timestamp,
        body: hook.body.replace('completed', 'failed'),
      }),
    ).toBe(false);
    expect(
      verifyWebhookSignature({
        secret,
        signature,
        timestamp: String(Number(timestamp) - 3600),
        body: hook.body,
      }),
    ).toBe(false);
    expect(verifyWebhookSignature({ secret: 'wrong', signature, timestamp, body: hook.body })).toBe(false);
    expect(hook.headers['x-receiver-token']).toBe(`rcv-${secret}`);
    expect(JSON.parse(hook.body)).toMatchObject({ event: 'agent.completed', turn_id: turn.turnId });

    // The caller's webhook secret and header travelled sealed: they are in no history either.
    const histories = await fetchHistories(stack.client, [turn.turnId]);
    const leaks = secretFindings(stack, histories, [
      { name: 'webhook secret', value: secret },
      { name: 'webhook header', value: `rcv-${secret}` },
    ]);
    expect(describeFindings(leaks)).toBe('');
  });

  it('the end-of-run scan (jest global teardown) reads every history on the server', async () => {
    const probe = `probe-value-${crypto.randomBytes(8).toString('hex')}`;
    const workflowId = `sec-probe/${probe}`;
    const handle = await stack.client.workflow.start('agentTurn', {
      taskQueue: `${stack.taskQueue}-never-polled`,
      workflowId,
      args: [{ message: `a message that quotes ${probe}` }],
    });
    try {
      // Visibility is eventually consistent: on a busy server a new workflow may take a moment to list.
      let report = await scanServerHistories(stack.temporalAddress, [{ name: 'PROBE', value: probe }]);
      for (let i = 0; i < 50 && report.findings.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 200));
        report = await scanServerHistories(stack.temporalAddress, [{ name: 'PROBE', value: probe }]);
      }
      const { scanned, findings } = report;
      expect(scanned).toBeGreaterThan(1);
      expect([...new Set(findings.map((f) => `${f.what} in ${f.source}`))]).toEqual([
        `PROBE in history ${workflowId}`,
      ]);
    } finally {
      await handle.terminate();
    }
  });

  it('after all of the above (and a failed turn): no secret and no JWT in any history, worker log line or API log line', async () => {
    const [failing] = planTurns('sec-fail', 1, 1);
    if (!failing) throw new Error('no turn');
    stack.llm.respond((req) =>
      turnTagOf(req) === failing.tag
        ? {
            status: 401,
            error: `Incorrect API key provided: ${stack.secrets.find((s) => s.name === 'OPENAI_API_KEY')?.value}`,
          }
        : undefined,
    );
    const res = await stack.api.inject({
      method: 'POST',
      url: '/api/agents/send',
      headers: { 'x-agent-daemon-key': stack.daemonKey, 'idempotency-key': failing.key },
      payload: sendBodyFor(failing),
    });
    expect(res.statusCode).toBe(502);
    expect(res.body).not.toContain(stack.secrets.find((s) => s.name === 'OPENAI_API_KEY')?.value);

    // Every turn this file ran (visibility may lag a moment behind on a busy server).
    let ids = await workflowIdsOnQueue(stack.client, stack.taskQueue);
    for (let i = 0; i < 50 && !ids.includes(failing.turnId); i++) {
      await new Promise((r) => setTimeout(r, 200));
      ids = await workflowIdsOnQueue(stack.client, stack.taskQueue);
    }
    expect(ids).toContain(failing.turnId);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const histories = await fetchHistories(stack.client, ids);
    const leaks = secretFindings(stack, histories);
    expect(describeFindings(leaks)).toBe('');
    // The scan itself works: a minted token and a secret are found where they are.
    const token = await mintAgentToken({
      secret: jwtSecret(),
      algorithm: 'HS256',
      ttlSec: 60,
      userId: 'x',
      role: 'y',
    });
    expect(
      scanText('probe', `token=${token} key=${jwtSecret()}`, stack.secrets)
        .map((f) => f.what)
        .sort(),
    ).toEqual(['AGENT_JWT_SECRET', 'JWT']);
    expect(stack.apiLog.length).toBeGreaterThan(0);
    // The end-of-run scan (jest global teardown) looks for the secrets the other test files use.
    expect(STACK_TEST_SECRETS.map((s) => s.value)).toEqual([
      TEST_JWT_SECRET,
      TEST_INTERNAL_TOKEN,
      TEST_OPENAI_KEY,
    ]);
    expect(stack.workers.output()[0]?.stdout.length).toBeGreaterThan(0);
  });
});

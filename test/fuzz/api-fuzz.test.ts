/**
 * Bad input against the runtime's API, every endpoint of its OpenAPI document (so a new endpoint
 * is fuzzed the day it is added): generated bodies, headers, query strings and path parameters,
 * hostile strings, huge strings, deep nesting, wrong types, invalid UTF-8, oversize bodies. The
 * promise: never a 5xx, every error body is `{error}` with a string, and what is accepted is
 * handled as plain data (a traversal task title is a title, never a path).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { startStack, type Stack } from '../support/stack';
import { encodePathValue, evilString, evilValue, mutated, nestedJson } from './arbitraries';

jest.setTimeout(120_000);

const DAEMON_KEY = 'fuzz-daemon-key-0123456789';
const BODY_LIMIT = 262_144;

type Operation = { method: string; path: string; params: { in: string; name: string }[]; hasBody: boolean };

const VALID_BODIES: Record<string, Record<string, unknown>> = {
  'POST /api/agents/send': {
    user_id: 'fuzz-u',
    session_key: 'user:fuzz-u:lead',
    message: 'hello',
    task_title: 'Fuzz thread',
  },
  'POST /api/agents/stream': {
    user_id: 'fuzz-u',
    session_key: 'user:fuzz-u:lead',
    message: 'hello',
    task_title: 'Fuzz thread',
  },
  'POST /compact': {
    messages: [
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'c' },
    ],
    keep_recent: 1,
  },
  'POST /llm-task': { prompt: 'Answer with a JSON object', input: { a: 1 } },
  'PUT /api/schedules/heartbeat/{user_id}/{role}': { interval_minutes: 30, paused: true },
  'PUT /api/schedules/standup/{user_id}/{role}': { cron: '0 9 * * *', timezone: 'UTC', paused: true },
};

describe('fuzzing the API (fast-check)', () => {
  let stack: Stack;
  let operations: Operation[];
  let workspaceCopy: string;
  const problems: string[] = [];

  beforeAll(async () => {
    // POST /boot/complete writes into the workspace: give the API a copy, never the repo's.
    workspaceCopy = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-fuzz-ws-'));
    fs.cpSync(path.join(REPO_ROOT, 'workspace'), workspaceCopy, { recursive: true });
    stack = await startStack({
      env: {
        AGENT_DAEMON_API_KEY: DAEMON_KEY,
        CLASPER_BODY_LIMIT_BYTES: String(BODY_LIMIT),
        CLASPER_RATE_LIMIT_PER_MINUTE: '0',
        CLASPER_SEND_TIMEOUT_SEC: '20',
        CLASPER_WORKSPACE: workspaceCopy,
      },
    });
    stack.llm.respond((req) =>
      req.body?.response_format || /JSON/.test(JSON.stringify(req.body?.messages ?? []))
        ? { text: '{"ok": true}' }
        : { text: 'Fuzz answer.' },
    );
    const doc = (
      await stack.api.inject({
        method: 'GET',
        url: '/docs/json',
        headers: { 'x-agent-daemon-key': DAEMON_KEY },
      })
    ).json() as {
      paths: Record<
        string,
        Record<string, { parameters?: { in: string; name: string }[]; requestBody?: unknown }>
      >;
    };
    operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        path: p,
        params: op.parameters ?? [],
        hasBody: Boolean(op.requestBody),
      })),
    );
  });

  afterAll(async () => {
    // Schedules the fuzzer managed to create would keep firing on the shared server.
    for await (const s of stack.client.schedule.list()) {
      const desc = await stack.client.schedule
        .getHandle(s.scheduleId)
        .describe()
        .catch(() => undefined);
      const action = desc?.action as { taskQueue?: string } | undefined;
      if (action?.taskQueue === stack.taskQueue)
        await stack.client.schedule
          .getHandle(s.scheduleId)
          .delete()
          .catch(() => undefined);
    }
    await stack?.stop();
    fs.rmSync(workspaceCopy, { recursive: true, force: true });
  });

  afterEach(() => {
    stack.llm.unexpectedCalls.length = 0;
  });

  /** One request; a problem line when the answer breaks the promise. */
  async function probe(req: InjectOptions): Promise<string | undefined> {
    let res: LightMyRequestResponse;
    try {
      res = await stack.api.inject(req);
    } catch (err) {
      // The request could not even be written (an illegal header character): nothing was sent.
      if (err instanceof TypeError && /header|character/i.test(err.message)) return undefined;
      throw err;
    }
    return judge(`${req.method} ${String(req.url).slice(0, 200)}`, res);
  }

  function judge(what: string, res: LightMyRequestResponse): string | undefined {
    if (res.statusCode >= 500) return `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`;
    if (res.statusCode >= 400) {
      let body: unknown;
      try {
        body = res.json();
      } catch {
        return `${what} → ${res.statusCode} with a non-JSON body: ${res.body.slice(0, 200)}`;
      }
      if (!body || typeof (body as { error?: unknown }).error !== 'string') {
        return `${what} → ${res.statusCode} without a string "error": ${res.body.slice(0, 200)}`;
      }
    }
    return undefined;
  }

  function urlFor(op: Operation, pathValues: Record<string, string>, query: Record<string, string>): string {
    const p = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodePathValue(pathValues[name] || 'x'));
    const qs = new URLSearchParams(query).toString();
    return qs ? `${p}?${qs}` : p;
  }

  const sendsBody = (op: Operation) => op.hasBody || op.method === 'POST' || op.method === 'PUT';

  const requestFor = (op: Operation) =>
    fc.record({
      pathValues: fc.dictionary(
        fc.constantFrom(...op.params.filter((p) => p.in === 'path').map((p) => p.name), 'none'),
        evilString(2_000),
      ),
      query: fc.dictionary(
        fc.oneof(
          fc.constantFrom(...op.params.filter((p) => p.in === 'query').map((p) => p.name), 'wait', 'deep'),
          fc.string({ maxLength: 8 }),
        ),
        evilString(5_000),
        { maxKeys: 3 },
      ),
      headers: fc.dictionary(
        fc.oneof(
          fc.constantFrom('idempotency-key', 'prefer', 'x-request-id', 'content-type', 'accept'),
          fc.stringMatching(/^x-[a-z]{1,10}$/),
        ),
        fc.oneof(
          evilString(3_000),
          fc.constantFrom(
            'application/json',
            'text/plain',
            'application/json; charset=utf-16',
            'multipart/form-data; boundary=x',
          ),
        ),
        { maxKeys: 3 },
      ),
      body: VALID_BODIES[`${op.method} ${op.path}`]
        ? fc.oneof(
            {
              weight: 3,
              arbitrary: mutated(VALID_BODIES[`${op.method} ${op.path}`] ?? {}, [
                'messages',
                'metadata',
                'webhook',
                'schema',
              ]),
            },
            { weight: 1, arbitrary: evilValue() },
          )
        : evilValue(),
    });

  it('every endpoint of /docs: generated body, query, headers and path values never give a 5xx, errors are {error}', async () => {
    expect(operations.length).toBeGreaterThan(5);
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(requestFor(op), async ({ pathValues, query, headers, body }) => {
          const problem = await probe({
            method: op.method as InjectOptions['method'],
            url: urlFor(op, pathValues, query),
            headers: {
              ...(sendsBody(op) ? { 'content-type': 'application/json' } : {}),
              ...headers,
              'x-agent-daemon-key': DAEMON_KEY,
            },
            ...(sendsBody(op) ? { payload: JSON.stringify(body) } : {}),
          });
          // Collected rather than thrown, so one run reports every endpoint's problems at once.
          if (problem) problems.push(problem);
        }),
        { numRuns: op.hasBody ? 60 : 25 },
      );
    }
    expect(problems).toEqual([]);
  });

  it('a missing or wrong daemon key is a 401/403 {error} on every endpoint but /health (and CORS preflights), whatever else is sent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...operations),
        fc.option(evilString(500), { nil: undefined }),
        async (op, key) => {
          const res = await stack.api.inject({
            method: op.method as InjectOptions['method'],
            url: urlFor(op, {}, {}),
            headers: key === undefined ? {} : { 'x-agent-daemon-key': key },
            ...(op.method !== 'GET' ? { payload: { any: 'thing' } } : {}),
          });
          if (op.path === '/health') return res.statusCode === 200;
          // A CORS preflight never carries credentials (browsers send none on OPTIONS): the codec
          // server answers it with headers only, and refuse the POST that follows.
          if (op.method === 'OPTIONS') return res.statusCode === 204 && res.body === '';
          if (key === DAEMON_KEY) return true;
          return [401, 403].includes(res.statusCode) && typeof res.json().error === 'string';
        },
      ),
      { numRuns: 80 },
    );
  });

  it('oversize bodies are a 413 {error}; deep nesting, invalid UTF-8 and odd content types are 4xx or plain data', async () => {
    const send = (payload: string | Buffer, contentType = 'application/json') =>
      stack.api.inject({
        method: 'POST',
        url: '/api/agents/send?wait=false',
        headers: { 'x-agent-daemon-key': DAEMON_KEY, 'content-type': contentType },
        payload,
      });
    const valid = VALID_BODIES['POST /api/agents/send'] ?? {};
    // Deep values are spliced in as text: JSON.stringify itself would overflow the stack on them.
    const withField = (field: string, json: string) =>
      `${JSON.stringify(valid).slice(0, -1)},${JSON.stringify(field)}:${json}}`;

    const big = await send(JSON.stringify({ ...valid, message: 'x'.repeat(BODY_LIMIT + 10) }));
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ error: expect.any(String) });

    const cases: [string, string | Buffer, string?][] = [
      ['metadata nested 5,000 deep', withField('metadata', nestedJson(5_000))],
      ['task_metadata nested 20,000 deep', withField('task_metadata', `{"deep":${nestedJson(20_000)}}`)],
      [
        'messages[0].content an object nested 3,000 deep',
        withField('messages', `[{"role":"user","content":${nestedJson(3_000)}}]`),
      ],
      ['a top-level array nested 60,000 deep', '['.repeat(60_000) + ']'.repeat(60_000)],
      ['an object nested 60,000 deep', nestedJson(60_000)],
      [
        'invalid UTF-8 in a string',
        Buffer.concat([
          Buffer.from(JSON.stringify(valid).slice(0, -1) + ',"message":"'),
          Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
          Buffer.from('"}'),
        ]),
      ],
      ['truncated JSON', JSON.stringify(valid).slice(0, 20)],
      ['JSON with a BOM', `\ufeff${JSON.stringify(valid)}`],
      [
        'duplicate keys',
        '{"user_id":"a","user_id":"fuzz-u","session_key":"user:fuzz-u:lead","message":"m","task_title":"t"}',
      ],
      ['a number too large for a double', JSON.stringify(valid).replace('"hello"', '1e400')],
      [
        '__proto__ pollution attempt',
        '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"user_id":"fuzz-u","session_key":"user:fuzz-u:lead","message":"m","task_title":"t"}',
      ],
      ['form-encoded body', 'user_id=fuzz-u&message=hi', 'application/x-www-form-urlencoded'],
      ['plain text body', 'hello', 'text/plain'],
      ['JSON as utf-16', JSON.stringify(valid), 'application/json; charset=utf-16'],
    ];
    for (const [what, payload, type] of cases) {
      const res = await send(payload, type);
      expect([what, judge(what, res)]).toEqual([what, undefined]);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('path-traversal roles are refused; traversal task titles are stored as plain titles', async () => {
    const headers = { 'x-agent-daemon-key': DAEMON_KEY };
    for (const role of ['../../etc/passwd', '..', 'lead/../../x', 'lead%2F..', 'lead\u0000']) {
      const send = await stack.api.inject({
        method: 'POST',
        url: '/api/agents/send',
        headers,
        payload: { user_id: 'fuzz-u', session_key: `user:fuzz-u:${role}`, message: 'hi', task_title: 't' },
      });
      expect([role, send.statusCode]).toEqual([role, 400]);
      const context = await stack.api.inject({
        method: 'GET',
        url: `/context?role=${encodeURIComponent(role)}`,
        headers,
      });
      expect([role, context.statusCode]).toEqual([role, 400]);
    }
    const title = '../../../../etc/passwd';
    const res = await stack.api.inject({
      method: 'POST',
      url: '/api/agents/send',
      headers,
      payload: { user_id: 'fuzz-trav', session_key: 'user:fuzz-trav:lead', message: 'hi', task_title: title },
    });
    expect(res.statusCode).toBe(200);
    const stored = await stack.backend.inspect('fuzz-trav');
    expect(stored.tasks.map((t) => t.title)).toEqual([title]);
    expect(stored.messages).toHaveLength(1);
  });

  it('header injection over a raw socket: CRLF in values never becomes a response header or a 5xx', async () => {
    await stack.api.listen({ port: 0, host: '127.0.0.1' });
    const port = (stack.api.server.address() as net.AddressInfo).port;
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
        const timer = setTimeout(() => socket.destroy(), 10_000);
        let data = '';
        socket.on('data', (d) => (data += d.toString('latin1')));
        socket.on('close', () => {
          clearTimeout(timer);
          resolve(data);
        });
        socket.on('error', reject);
      });
    const attempts = [
      `GET /api/agents/turns/agent-turn%2Fu1%2Fx%0d%0aSet-Cookie:%20pwned=1 HTTP/1.1\r\nHost: x\r\nX-Agent-Daemon-Key: ${DAEMON_KEY}\r\nConnection: close\r\n\r\n`,
      `GET /context?role=lead%0d%0aSet-Cookie:%20pwned=1 HTTP/1.1\r\nHost: x\r\nX-Agent-Daemon-Key: ${DAEMON_KEY}\r\nConnection: close\r\n\r\n`,
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\rSet-Cookie: pwned=1\r\nConnection: close\r\n\r\n`,
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc%0d%0aSet-Cookie:%20pwned=1\r\nConnection: close\r\n\r\n`,
    ];
    for (const request of attempts) {
      const response = await raw(request);
      const [head = ''] = response.split('\r\n\r\n');
      expect(head).not.toMatch(/^set-cookie/im);
      expect(head).not.toMatch(/^HTTP\/1\.1 5\d\d/);
    }
    const body = {
      ...VALID_BODIES['POST /api/agents/send'],
      webhook: { url: 'http://127.0.0.1:9/hook', headers: { 'X-Ok': 'a\r\nSet-Cookie: pwned=1' } },
    };
    const res = await stack.api.inject({
      method: 'POST',
      url: '/api/agents/send',
      headers: { 'x-agent-daemon-key': DAEMON_KEY },
      payload: body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual(expect.any(String));
  });
});

/**
 * Fault injection over a real listening server and real fetch: "drop" and "lose_response" kill
 * the TCP connection, which inject() cannot show.
 */
import { type FastifyInstance } from 'fastify';
import { buildTestServer, INTERNAL, mintToken } from './test-helpers';

const FAULTS = '/api/mission-control/_faults';
const INSPECT = '/api/mission-control/_inspect';
const TASKS = '/api/mission-control/tasks';

describe('mission-control-lite: fault injection (listening server, real fetch)', () => {
  let app: FastifyInstance;
  let base: string;
  let agentToken: string;

  beforeEach(async () => {
    app = await buildTestServer();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    base = `http://127.0.0.1:${address.port}`;
    agentToken = await mintToken({ userId: 'u1' });
  });
  afterEach(async () => {
    await app.close();
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }
  const agent = (method: string, path: string, body?: unknown) =>
    call(method, path, body, { 'x-agent-token': agentToken });
  const internal = (method: string, path: string, body?: unknown) =>
    call(method, path, body, { 'x-internal-token': INTERNAL });
  const setFaults = async (rules: unknown[]) => {
    const res = await internal('POST', FAULTS, { rules });
    expect(res.status).toBe(200);
    return res.body;
  };

  it('serves real HTTP: health and an authenticated list', async () => {
    expect(await call('GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await agent('GET', TASKS)).toMatchObject({ status: 200, body: { items: [], next_cursor: null } });
  });

  it('"status" answers the status with Retry-After for `times` requests, without doing the work', async () => {
    await setFaults([
      { method: 'post', path: TASKS, mode: 'status', status: 503, retry_after_sec: 7, times: 2 },
    ]);
    for (let i = 0; i < 2; i++) {
      const res = await agent('POST', TASKS, { title: `attempt ${i}` });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.body.code).toBe('injected_fault');
    }
    // The method filter: GETs were never affected.
    expect((await agent('GET', TASKS)).status).toBe(200);
    expect((await agent('POST', TASKS, { title: 'third' })).status).toBe(200);
    const state = await internal('GET', FAULTS);
    expect(state.body).toMatchObject({ rules: [], applied_count: 2 });
    expect((await internal('GET', INSPECT)).body.tasks.map((t: { title: string }) => t.title)).toEqual([
      'third',
    ]);
  });

  it('"drop" closes the connection without a response and without doing the work', async () => {
    await setFaults([{ path: TASKS, mode: 'drop' }]);
    await expect(agent('POST', TASKS, { title: 'dropped' })).rejects.toThrow(/fetch failed/);
    expect((await internal('GET', INSPECT)).body.tasks).toEqual([]);
    expect((await agent('POST', TASKS, { title: 'after' })).status).toBe(200);
  });

  it('"delay" waits, then answers normally', async () => {
    await setFaults([{ path: '/health', mode: 'delay', delay_ms: 400 }]);
    const started = Date.now();
    expect((await call('GET', '/health')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    const fast = Date.now();
    await call('GET', '/health');
    expect(Date.now() - fast).toBeLessThan(380);
  });

  it('"lose_response" does the write, loses the answer, and the idempotent retry returns the same id', async () => {
    await setFaults([{ method: 'POST', path: TASKS, mode: 'lose_response' }]);
    const body = { title: 'Exactly once', idempotency_key: 'retry-me' };
    await expect(agent('POST', TASKS, body)).rejects.toThrow(/fetch failed/);

    const stored = (await internal('GET', `${INSPECT}?user_id=u1`)).body.tasks;
    expect(stored).toEqual([expect.objectContaining({ title: 'Exactly once', user_id: 'u1' })]);

    const retry = await agent('POST', TASKS, body);
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(stored[0].id);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect((await internal('GET', INSPECT)).body.tasks).toHaveLength(1);
  });

  it('never affects _faults and _inspect, even with a rule matching every path', async () => {
    await setFaults([{ path: '/', mode: 'status', status: 500, times: 100 }]);
    expect((await internal('GET', INSPECT)).status).toBe(200);
    expect((await internal('GET', FAULTS)).status).toBe(200);
    expect((await call('GET', '/health')).status).toBe(500);
    const state = await internal('GET', FAULTS);
    expect(state.body.applied_count).toBe(1);
    expect(state.body.rules).toEqual([expect.objectContaining({ path: '/', remaining: 99 })]);
    expect(state.body.applied).toEqual([
      expect.objectContaining({ method: 'GET', path: '/health', mode: 'status' }),
    ]);

    const cleared = await internal('DELETE', FAULTS);
    expect(cleared.body.rules).toEqual([]);
    expect((await call('GET', '/health')).status).toBe(200);
  });

  it('POST replaces the active rules', async () => {
    await setFaults([{ path: '/health', mode: 'status', status: 500 }]);
    await setFaults([{ path: TASKS, mode: 'status', status: 502 }]);
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await agent('GET', TASKS)).status).toBe(502);
  });

  it('"probability" faults only a share of matching requests, repeatably with a seed, up to `times`', async () => {
    const rule = { path: '/health', mode: 'status', status: 503, probability: 0.5, times: 1000 };
    const run = async (seed: number) => {
      await setFaults([]);
      await internal('POST', FAULTS, { seed, rules: [rule] });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await call('GET', '/health')).status);
      return statuses;
    };
    const first = await run(7);
    const failed = first.filter((s) => s === 503).length;
    // A fair share, neither none nor all (40 draws at 0.5: 10..30 is ~5 standard deviations wide).
    expect(failed).toBeGreaterThanOrEqual(10);
    expect(failed).toBeLessThanOrEqual(30);
    expect(first.every((s) => s === 503 || s === 200)).toBe(true);
    // The same seed draws the same sequence.
    expect(await run(7)).toEqual(first);

    // `times` still caps the faults applied, and a spared request falls through to the next rule.
    await internal('POST', FAULTS, {
      seed: 1,
      rules: [
        { path: '/health', mode: 'status', status: 500, probability: 0.5, times: 3 },
        { path: '/health', mode: 'status', status: 502, times: 2 },
      ],
    });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await call('GET', '/health')).status);
    expect(statuses.filter((s) => s === 500)).toHaveLength(3);
    expect(statuses.filter((s) => s === 502)).toHaveLength(2);
    expect(statuses.filter((s) => s === 200)).toHaveLength(15);
    expect((await internal('GET', FAULTS)).body.applied_by_mode).toEqual({ status: 2 * failed + 5 });
  });

  it('400 for bad rules', async () => {
    const cases = [
      { rules: [{ path: TASKS, mode: 'explode' }] },
      { rules: [{ path: TASKS, mode: 'delay' }] },
      { rules: [{ path: 'no-slash', mode: 'drop' }] },
      { rules: [{ path: TASKS, mode: 'status', status: 200 }] },
      { rules: [{ path: TASKS, mode: 'drop', times: 0 }] },
      { rules: [{ path: TASKS, mode: 'drop', probability: 0 }] },
      { rules: [{ path: TASKS, mode: 'drop', probability: 1.5 }] },
      { seed: -1, rules: [] },
      {},
    ];
    for (const body of cases) {
      const res = await internal('POST', FAULTS, body);
      expect([body, res.status]).toEqual([body, 400]);
      expect(res.body.code).toBe('validation_error');
    }
    expect((await internal('GET', FAULTS)).body.rules).toEqual([]);
  });
});

/**
 * With AGENT_DAEMON_API_KEY set, every route but /health needs the key (the original left its read
 * endpoints open); every route is in the OpenAPI document; every reply carries a request id.
 */
import {
  buildTestApp,
  copyOfExampleWorkspace,
  quietWorkspace,
  removeTempDirs,
  type TestApp,
} from '../../support/api-app';

const KEY = 'test-daemon-key-0123456789';

describe('daemon key, OpenAPI document and request ids', () => {
  let t: TestApp;
  const routes: { method: string; url: string }[] = [];

  beforeAll(async () => {
    t = await buildTestApp({
      env: { AGENT_DAEMON_API_KEY: KEY },
      workspace: quietWorkspace(copyOfExampleWorkspace()),
    });
    // Routes are registered by now; collect them the way Fastify reports them to onRoute hooks.
    collectRoutes(t, routes);
  });
  afterAll(async () => {
    await t?.close();
    removeTempDirs();
  });

  const protectedRoutes: [string, string][] = [
    ['GET', '/context?role=lead'],
    ['GET', '/skills'],
    ['GET', '/boot'],
    ['POST', '/boot/complete'],
    ['GET', '/usage'],
    ['GET', '/metrics'],
    ['POST', '/api/agents/send'],
    ['GET', '/api/agents/turns/agent-turn%2Fu1%2Fx'],
    ['GET', '/docs/json'],
  ];

  it.each(protectedRoutes)(
    '%s %s answers 401 without the key and 403 with a wrong one',
    async (method, url) => {
      const missing = await t.app.inject({ method: method as 'GET', url });
      expect(missing.statusCode).toBe(401);
      expect(missing.json()).toEqual({ error: expect.stringContaining('X-Agent-Daemon-Key') });
      const wrong = await t.app.inject({
        method: method as 'GET',
        url,
        headers: { 'x-agent-daemon-key': 'nope' },
      });
      expect(wrong.statusCode).toBe(403);
    },
  );

  it.each(protectedRoutes.filter(([m]) => m === 'GET'))('%s %s works with the key', async (method, url) => {
    const res = await t.app.inject({ method: method as 'GET', url, headers: { 'x-agent-daemon-key': KEY } });
    expect([200, 404]).toContain(res.statusCode); // 404: the turn id above does not exist
  });

  it('leaves the shallow /health open; deep=true, which calls Temporal and the backend, needs the key', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/health?deep=false' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/health?deep=true' })).statusCode).toBe(401);
    const keyed = await t.app.inject({
      method: 'GET',
      url: '/health?deep=true',
      headers: { 'x-agent-daemon-key': KEY },
    });
    expect(keyed.statusCode).toBe(200);
  });

  it('lists every registered route with its methods in /docs/json, except the docs themselves', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/docs/json',
      headers: { 'x-agent-daemon-key': KEY },
    });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);

    // Fastify adds a HEAD twin for every GET; the document describes the GET.
    const expected = routes.filter((r) => !r.url.startsWith('/docs') && r.method !== 'HEAD');
    expect(expected.map((r) => r.url)).toEqual(
      expect.arrayContaining([
        '/health',
        '/context',
        '/skills',
        '/boot',
        '/boot/complete',
        '/usage',
        '/metrics',
        '/api/agents/send',
      ]),
    );
    for (const { method, url } of expected) {
      const openApiPath = url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      expect({
        route: `${method} ${url}`,
        documented: Boolean(doc.paths[openApiPath]?.[method.toLowerCase()]),
      }).toEqual({
        route: `${method} ${url}`,
        documented: true,
      });
    }
    // The same zod schemas: the usage query and the context role pattern are in the document.
    const usage = doc.paths['/usage']?.get as { parameters: { name: string }[] };
    expect(usage.parameters.map((p) => p.name).sort()).toEqual(['since', 'user_id']);
    expect(JSON.stringify(doc.paths['/context'])).toContain('A-Za-z0-9_-');
  });

  it('serves the docs UI at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs', headers: { 'x-agent-daemon-key': KEY } });
    expect([200, 302]).toContain(res.statusCode);
  });

  it('echoes a sane x-request-id, replaces an unsafe one, and makes one when there is none', async () => {
    const given = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const unsafe = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'a b\nforged' },
    });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const none = await t.app.inject({ method: 'GET', url: '/skills' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

/**
 * Every route of the built app with its methods, read from `printRoutes({ commonPrefix: false })`:
 * a tree whose lines are `<indent>├── <segment> (GET, HEAD)`, each segment appended to its parent's.
 */
function collectRoutes(t: TestApp, into: { method: string; url: string }[]): void {
  const text = t.app.printRoutes({ commonPrefix: false });
  const parents: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    const url = (depth > 0 ? (parents[depth - 1] ?? '') : '') + (m[2] as string);
    parents.length = depth;
    parents[depth] = url;
    for (const method of m[3]?.split(',').map((x) => x.trim()) ?? []) into.push({ method, url });
  }
  // The parse must have found nested and plain routes, so a format change cannot make the test vacuous.
  for (const url of ['/api/agents/send', '/boot/complete', '/docs/json'])
    if (!into.some((r) => r.url === url)) throw new Error(`could not read ${url} from printRoutes:\n${text}`);
}

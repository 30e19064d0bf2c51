/**
 * A backend in the second dialect the runtime meets in practice: the FastAPI control-plane starter
 * published for the original Clasper. It speaks contract v1 paths, but in FastAPI's shapes: errors
 * are `{detail}` (a string, or on a 422 pydantic's list of `{loc, msg, type}`), the task list has
 * no `next_cursor`, capabilities name `tool_requests` and no dispatch, tasks and tools carry extra
 * fields. A small real HTTP server, so the client under test still goes over the wire.
 */
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import type { Config } from '../../../../src/config';

export const STARTER_SECRET = 'fastapi-starter-test-secret-0123456789';

type Json = Record<string, unknown>;

export interface StarterBackend {
  url: string;
  config(): Config['backend'];
  /** Every request the server saw, method and path. */
  seen: string[];
  close(): Promise<void>;
}

/** pydantic's 422: one entry per missing or mistyped field. */
function missing(body: Json, fields: string[]): Json[] {
  return fields
    .filter((f) => typeof body[f] !== 'string')
    .map((f) => ({ loc: ['body', f], msg: 'Field required', type: 'missing', input: body }));
}

export async function startFastApiStarter(): Promise<StarterBackend> {
  const tasks: Json[] = [];
  const seen: string[] = [];
  const key = new TextEncoder().encode(STARTER_SECRET);

  const route = async (req: http.IncomingMessage, raw: string): Promise<[number, unknown]> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    if (path === '/health') return [200, { status: 'ok' }];
    const token = req.headers['x-agent-token'];
    if (typeof token !== 'string') return [401, { detail: 'Missing X-Agent-Token' }];
    let userId: string;
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
      userId = String(payload.user_id);
    } catch {
      return [401, { detail: 'Invalid agent token' }];
    }
    let body: Json = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Json;
      } catch {
        return [422, { detail: [{ loc: ['body', 0], msg: 'JSON decode error', type: 'json_invalid' }] }];
      }
    }
    const endpoint = `${req.method} ${path}`;
    if (endpoint === 'GET /api/mission-control/capabilities') {
      return [
        200,
        {
          contract_version: 'v1',
          features: {
            tasks: true,
            messages: true,
            documents: true,
            notifications_dispatch: false,
            events_sse: false,
            heartbeat: false,
            standup: false,
            tool_requests: true,
          },
        },
      ];
    }
    if (endpoint === 'GET /api/mission-control/tasks') {
      const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 50), 1), 100);
      return [200, { items: tasks.filter((t) => t.user_id === userId).slice(0, limit) }];
    }
    if (endpoint === 'POST /api/mission-control/tasks') {
      const problems = missing(body, ['title']);
      if (problems.length) return [422, { detail: problems }];
      const existing = tasks.find((t) => t.user_id === userId && t.idempotency_key === body.idempotency_key);
      if (existing && body.idempotency_key) {
        if (existing.title !== body.title) return [409, { detail: 'idempotency_key conflict' }];
        return [200, existing];
      }
      const task = {
        id: `task-${tasks.length + 1}`,
        user_id: userId,
        title: body.title,
        status: body.status ?? 'in_progress',
        description: body.description ?? null,
        metadata: body.metadata ?? null,
        idempotency_key: body.idempotency_key,
      };
      tasks.push(task);
      return [200, task];
    }
    if (endpoint === 'POST /api/mission-control/messages') {
      const problems = missing(body, ['task_id', 'content']);
      if (problems.length) return [422, { detail: problems }];
      return [200, { id: 'm1', user_id: userId, ...body }];
    }
    if (endpoint === 'GET /api/tools') {
      return [
        200,
        [
          {
            name: 'qmd_search',
            description: 'Search the knowledge base',
            parameters: { type: 'object', properties: { q: { type: 'string' } } },
            plugin: 'qmd_plugin',
            version: '0.1.0',
            enabled: true,
            tags: ['search'],
          },
          { type: 'function', function: { name: 'guard_check', parameters: {} }, plugin: 'prompt_guard' },
        ],
      ];
    }
    if (endpoint === 'POST /api/tools/qmd_search') {
      return [403, { detail: 'blocked by plugin prompt_guard: query mentions a secret' }];
    }
    return [404, { detail: 'Not Found' }];
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      seen.push(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
      route(req, raw).then(
        ([status, body]) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ detail: String(err) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    config: () => ({ url, jwtSecret: STARTER_SECRET, jwtAlgorithm: 'HS256', jwtTtlSec: 60 }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

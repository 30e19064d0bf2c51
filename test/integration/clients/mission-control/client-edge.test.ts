/**
 * Backend behaviour the reference backend never shows (redirects, non-JSON 2xx, odd tool lists),
 * served by a tiny real HTTP server so the client still goes over the wire.
 */
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  listTools,
  MissionControlClient,
  MissionControlError,
  runTool,
} from '../../../../src/clients/mission-control';
import { failureOf } from './backend';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

describe('MissionControlClient edge cases', () => {
  let server: http.Server;
  let handler: Handler;
  let client: MissionControlClient;
  const seen: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const id = { userId: 'u1', role: 'lead' };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers, body });
        handler(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new MissionControlClient({
      url,
      jwtSecret: 's3cret-value',
      jwtAlgorithm: 'HS256',
      jwtTtlSec: 60,
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
  });

  const json =
    (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
    (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };

  it('does not follow a redirect, so the token never leaves BACKEND_URL', async () => {
    handler = (_req, res) => {
      res.writeHead(302, { location: 'http://evil.example/steal' });
      res.end();
    };
    const failure = await failureOf(client.listTasks(id));
    expect(failure.type).toBe(MissionControlError.UnexpectedStatus);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('set BACKEND_URL to the final address');
    expect(seen).toHaveLength(1);
  });

  it('rejects a 2xx that is not JSON or not the contract shape', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>app shell</html>');
    };
    const html = await failureOf(client.listTasks(id));
    expect(html.type).toBe(MissionControlError.InvalidResponse);
    expect(html.nonRetryable).toBe(true);
    expect(html.message).toContain('the body is not JSON');

    handler = json(200, { tasks: [] });
    const shape = await failureOf(client.listTasks(id));
    expect(shape.type).toBe(MissionControlError.InvalidResponse);
    expect(shape.message).toContain('items');
  });

  it('stops when a backend hands out the same cursor twice', async () => {
    handler = json(200, { items: [], next_cursor: 'again' });
    const failure = await failureOf(client.listAllTasks(id));
    expect(failure.type).toBe(MissionControlError.InvalidResponse);
    expect(seen).toHaveLength(2);
  });

  it('sends the agent token and query, and lists tools in either shape, skipping clashes and bad names', async () => {
    handler = (req, res) => {
      if (req.url?.startsWith('/api/mission-control/capabilities'))
        return json(200, { contract_version: 'v1', features: { tools: true } })(req, res);
      return json(200, [
        { type: 'function', function: { name: 'create_task', description: 'backend clash', parameters: {} } },
        {
          type: 'function',
          function: { name: 'search', description: 'Search docs', parameters: { type: 'object' } },
        },
        { name: 'bad name!', description: 'dropped' },
        { name: 'ping' },
      ])(req, res);
    };
    const tools = await listTools(client, id);
    const names = tools.map((t) => t.function.name);
    expect(names).toEqual(['list_tasks', 'create_task', 'post_message', 'create_document', 'search', 'ping']);
    expect(tools.find((t) => t.function.name === 'create_task')!.function.description).not.toBe(
      'backend clash',
    );
    expect(tools.find((t) => t.function.name === 'ping')!.function.parameters).toEqual({
      type: 'object',
      properties: {},
    });
    expect(seen[1]!.headers['x-agent-token']).toMatch(/^eyJ/);
  });

  it('lists only the built-ins when the backend offers no tools', async () => {
    handler = json(200, { contract_version: 'v1' });
    expect((await listTools(client, id)).map((t) => t.function.name)).toHaveLength(4);
    expect(seen).toHaveLength(1);
  });

  it('post_message sends the agent as actor with its role and the idempotency key', async () => {
    handler = json(200, { id: 'm1', task_id: 't1', content: 'hi' });
    const outcome = await runTool(client, id, {
      name: 'post_message',
      argumentsJson: '{"task_id":"t1","content":"hi"}',
      idempotencyKey: 'wf/tool:1:c',
    });
    expect(outcome.ok).toBe(true);
    expect(seen[0]!.url).toBe('/api/mission-control/messages');
    expect(JSON.parse(seen[0]!.body)).toEqual({
      task_id: 't1',
      content: 'hi',
      actor_type: 'agent',
      agent_role: 'lead',
      idempotency_key: 'wf/tool:1:c',
    });
  });

  it('passes backend tool arguments through with the key as Idempotency-Key', async () => {
    handler = json(200, { ok: 1 });
    await runTool(client, id, { name: 'search', argumentsJson: '{"q":"x"}', idempotencyKey: 'wf/tool:2:c' });
    expect(seen[0]!.url).toBe('/api/tools/search');
    expect(JSON.parse(seen[0]!.body)).toEqual({ arguments: { q: 'x' } });
    expect(seen[0]!.headers['idempotency-key']).toBe('wf/tool:2:c');
  });
});

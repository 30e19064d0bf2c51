/**
 * The contract as the client reads it, run against both dialects a backend speaks in practice:
 * the reference (mission-control-lite, `{error, code}` errors, cursor pages) and the FastAPI
 * control-plane starter (`{detail}` errors, 422 lists, no `next_cursor`, `tool_requests`, extra
 * fields). The same client calls must work on both, and every failure must read as a sentence.
 */
import {
  listTools,
  MissionControlClient,
  MissionControlError,
  missionControlFailureDetails,
  runTool,
} from '../../../../src/clients/mission-control';
import { backendOffersDispatch } from '../../../../src/schedules/ensure';
import { loadConfig } from '../../../../src/config';
import { failureOf, startBackend, uniqueUser } from './backend';
import { startFastApiStarter } from './fastapi-starter';

type BackendSettings = ConstructorParameters<typeof MissionControlClient>[0];

interface Dialect {
  url: string;
  backend: BackendSettings;
  close(): Promise<void>;
}

function makeClient(backend: BackendSettings): MissionControlClient {
  return new MissionControlClient(backend, { timeoutMs: 5_000 });
}

const dialects: [string, () => Promise<Dialect>][] = [
  [
    'reference (mission-control-lite)',
    async () => {
      const b = await startBackend();
      return { url: b.url, backend: b.config(), close: () => b.close() };
    },
  ],
  [
    'FastAPI control-plane starter',
    async () => {
      const b = await startFastApiStarter();
      return { url: b.url, backend: b.config(), close: () => b.close() };
    },
  ],
];

describe.each(dialects)('contract v1 in the %s dialect', (_name, start) => {
  let dialect: Dialect;
  let client: MissionControlClient;
  beforeAll(async () => {
    dialect = await start();
    client = makeClient(dialect.backend);
  });
  afterAll(() => dialect.close());
  const agent = () => ({ userId: uniqueUser(), role: 'lead' });

  it('speaks v1 and offers the backend tools (tools or tool_requests)', async () => {
    const caps = await client.capabilities(agent());
    expect(caps.contract_version).toBe('v1');
    expect(caps.features.tools).toBe(true);
  });

  it('lists, finds by title and by id, whether or not the page has a next_cursor', async () => {
    const id = agent();
    const a = await client.createTask(id, { title: 'Alpha' }, 'k-alpha');
    await client.createTask(id, { title: 'Beta' }, 'k-beta');
    expect((await client.listAllTasks(id)).map((t) => t.title)).toEqual(['Alpha', 'Beta']);
    expect(await client.findTaskByTitle(id, 'Beta')).toMatchObject({ title: 'Beta' });
    expect(await client.findTaskById(id, String(a.id))).toMatchObject({ title: 'Alpha' });
    expect(await client.findTaskById(id, 'no-such-task')).toBeNull();
    // Another user's task is not found: scoping is the backend's, the lookup only reads the list.
    expect(await client.findTaskById(agent(), String(a.id))).toBeNull();
  });

  it('a body the backend refuses is a non-retryable BadRequest naming the field', async () => {
    const failure = await failureOf(
      client.postMessage(agent(), { task_id: 't1' } as unknown as { task_id: string; content: string }, 'k1'),
    );
    expect(failure.type).toBe(MissionControlError.BadRequest);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/POST \/api\/mission-control\/messages answered (400|422): .*content/);
    expect(failure.message).not.toContain('{');
  });

  it('a rejected agent token is Unauthorized with the backend’s words and the settings to compare', async () => {
    const wrong = makeClient({ ...dialect.backend, jwtSecret: 'not-the-secret-0123456789abcdef' });
    const failure = await failureOf(wrong.listTasks(agent()));
    expect(failure.type).toBe(MissionControlError.Unauthorized);
    expect(failure.message).toContain('AGENT_JWT_SECRET');
    const text = missionControlFailureDetails(failure)?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/^[{[]/);
  });

  it('the same idempotency key with another body is a Conflict that is never retried', async () => {
    const id = agent();
    await client.createTask(id, { title: 'One' }, 'k-same');
    const failure = await failureOf(client.createTask(id, { title: 'Two' }, 'k-same'));
    expect(failure.type).toBe(MissionControlError.Conflict);
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('the FastAPI starter dialect, beyond the shared contract', () => {
  let starter: Awaited<ReturnType<typeof startFastApiStarter>>;
  let client: MissionControlClient;
  beforeAll(async () => {
    starter = await startFastApiStarter();
    client = makeClient(starter.config());
  });
  afterAll(() => starter.close());
  const id = { userId: 'u1', role: 'lead' };

  it('reads a 422 list of {loc, msg, type} as one line per field', async () => {
    const failure = await failureOf(
      client.postMessage(id, {} as unknown as { task_id: string; content: string }, 'k2'),
    );
    expect(failure.message).toBe(
      'POST /api/mission-control/messages answered 422: body.task_id: Field required; body.content: Field required',
    );
    expect(missionControlFailureDetails(failure)).toMatchObject({
      status: 422,
      text: 'body.task_id: Field required; body.content: Field required',
    });
  });

  it('lists tools that carry extra fields (plugin, version, tags) in either entry shape', async () => {
    const tools = await listTools(client, id);
    const names = tools.map((t) => t.function.name);
    expect(names).toEqual(expect.arrayContaining(['qmd_search', 'guard_check']));
    expect(tools.find((t) => t.function.name === 'qmd_search')!.function.parameters).toEqual({
      type: 'object',
      properties: { q: { type: 'string' } },
    });
  });

  it('a tool the backend refuses fails with its detail, not a crash', async () => {
    const failure = await failureOf(
      runTool(client, id, { name: 'qmd_search', argumentsJson: '{"q":"x"}', idempotencyKey: 'wf/tool:1:c' }),
    );
    expect(failure.type).toBe(MissionControlError.Forbidden);
    expect(failure.message).toBe(
      'POST /api/tools/qmd_search answered 403: blocked by plugin prompt_guard: query mentions a secret',
    );
  });

  it('an endpoint it lacks is a readable NotFound', async () => {
    const failure = await failureOf(client.heartbeat(id));
    expect(failure.type).toBe(MissionControlError.NotFound);
    expect(failure.message).toBe('POST /api/mission-control/heartbeat answered 404: Not Found');
  });

  it('offers no dispatch, so the worker leaves the dispatcher schedule off', async () => {
    const config = loadConfig({
      BACKEND_URL: starter.url,
      AGENT_JWT_SECRET: starter.config().jwtSecret ?? '',
      INTERNAL_API_TOKEN: 'x',
    });
    expect(await backendOffersDispatch(config)).toEqual({ offered: false });
  });
});

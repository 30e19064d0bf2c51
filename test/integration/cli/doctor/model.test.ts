/**
 * The doctor's model probes against the fake model server over HTTP: one that honours a forced
 * tool choice, one that drops tools (llama.cpp started with a plain chat format), one whose
 * context cannot hold the prompt, and one too slow for the request timeout.
 */
import path from 'node:path';
import type { DoctorCheck } from '../../../../src/cli/doctor';
import { checkModel, STREAM_TOOLS_OFF, TOOLS_IGNORED } from '../../../../src/cli/doctor/model';
import { loadConfig } from '../../../../src/config';
import {
  type FakeOpenAI,
  type FakeOpenAIOptions,
  modelServerResponder,
  startFakeOpenAI,
  useFakeOpenAI,
} from '../../../support/fake-openai';

const fake = useFakeOpenAI({ strict: true });
const WORKSPACE = path.resolve(__dirname, '../../../../workspace');

function config(env: Record<string, string> = {}, server: Pick<FakeOpenAI, 'url'> = fake()) {
  return loadConfig({
    OPENAI_BASE_URL: server.url,
    LLM_MODEL_DEFAULT: 'smollm2',
    CLASPER_WORKSPACE: WORKSPACE,
    ...env,
  });
}

const byName = (checks: DoctorCheck[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

describe('doctor model probes', () => {
  it('pass against a server that answers and honours a forced tool choice', async () => {
    fake().respond(modelServerResponder());
    const c = byName(await checkModel(config({ LLM_CONTEXT_WINDOW: '8192' }), 5000));
    expect(c.model).toMatchObject({ status: 'warn' }); // the fake does not list 'smollm2'
    expect(c['model answer']).toMatchObject({
      status: 'ok',
      reason: expect.stringMatching(
        /^one token in \d+ ms; a short answer in [\d.]+ s against LLM_REQUEST_TIMEOUT_SEC=60$/,
      ),
    });
    expect(c['model tools']).toMatchObject({ status: 'ok' });
    expect(c['model streaming']).toEqual({
      name: 'model streaming',
      status: 'ok',
      reason: 'a streamed request that offers a tool was answered',
    });
    expect(c['model context']).toMatchObject({
      status: 'ok',
      reason: expect.stringMatching(
        /^the system prompt with \d+ tool schemas takes about \d+ tokens \(rough estimate .*\) of 8192 \(LLM_CONTEXT_WINDOW\); the server accepted it$/,
      ),
    });
    const chats = fake().chatRequests();
    expect(chats[0]?.body?.max_tokens).toBe(1);
    expect(chats[2]?.body?.tool_choice).toEqual({ type: 'function', function: { name: 'report_ready' } });
    expect(chats[3]).toMatchObject({
      stream: true,
      body: { tools: [{ function: { name: 'report_ready' } }] },
    });
    // The context probe sends the real prompt with every built-in tool.
    expect(chats[4]?.body?.tools?.map((t) => t.function.name)).toContain('create_task');
  });

  it('fail the tool probe against a server that ignores tools, and say how to start llama.cpp', async () => {
    fake().respond(modelServerResponder({ ignoreTools: true }));
    const c = byName(await checkModel(config(), 5000));
    expect(c['model tools']).toEqual({
      name: 'model tools',
      status: 'fail',
      reason: `a forced tool choice came back as plain text: ${TOOLS_IGNORED}`,
    });
    expect(c['model tools']?.reason).toContain('this server ignores tools');
  });

  it('fail the context probe when the window cannot hold the system prompt with tools', async () => {
    fake().respond(modelServerResponder());
    const c = byName(await checkModel(config({ LLM_CONTEXT_WINDOW: '512' }), 5000));
    expect(c['model context']).toMatchObject({
      status: 'fail',
      reason: expect.stringMatching(/takes about \d+ tokens .* of 512 \(LLM_CONTEXT_WINDOW\): it cannot fit/),
    });
  });

  it('fail the context probe when the server itself refuses the prompt', async () => {
    fake().respond((request) =>
      (request.body?.tools?.length ?? 0) > 1
        ? { status: 400, error: 'Requested tokens (1920) exceed context window of 512' }
        : modelServerResponder()(request),
    );
    const c = byName(await checkModel(config(), 5000));
    expect(c['model context']).toMatchObject({
      status: 'fail',
      reason: expect.stringContaining('but the server refused it: model server at'),
    });
    expect(c['model context']?.reason).toContain('exceed context window of 512');
  });

  it('warn when a short answer uses a large share of the request timeout', async () => {
    fake().respond(async (request) => ({ ...(await modelServerResponder()(request)), delayMs: 400 }));
    const c = byName(await checkModel(config({ LLM_REQUEST_TIMEOUT_SEC: '1' }), 5000));
    expect(c['model answer']).toMatchObject({
      status: 'warn',
      reason: expect.stringContaining('raise LLM_REQUEST_TIMEOUT_SEC'),
    });
  });
});

describe('the doctor on a server that cannot stream with tools', () => {
  async function withServer<T>(
    options: FakeOpenAIOptions,
    fn: (server: FakeOpenAI) => Promise<T>,
  ): Promise<T> {
    const server = await startFakeOpenAI({ strict: true, ...options });
    server.respond(modelServerResponder());
    try {
      return await fn(server);
    } finally {
      await server.close();
    }
  }

  it('fails the streaming probe when the server refuses it, and names the setting', async () => {
    await withServer({ rejectStreamedTools: true }, async (server) => {
      const c = byName(await checkModel(config({}, server), 5000));
      expect(c['model streaming']).toMatchObject({ status: 'fail' });
      expect(c['model streaming']?.reason).toContain('Automatic streaming tool choice is not supported');
      expect(c['model streaming']?.reason).toContain(STREAM_TOOLS_OFF);
      expect(c['model context']).toMatchObject({ status: 'ok' });
    });
  });

  it('does not probe with LLM_STREAM_WITH_TOOLS=false', async () => {
    await withServer({ rejectStreamedTools: true }, async (server) => {
      const c = byName(await checkModel(config({ LLM_STREAM_WITH_TOOLS: 'false' }, server), 5000));
      expect(c['model streaming']).toMatchObject({
        status: 'ok',
        reason: expect.stringContaining('not probed'),
      });
      expect(server.chatRequests().filter((r) => r.stream)).toEqual([]);
    });
  });

  it("recognises llama-cpp-python's server by its model list and fails without sending the request that would crash it", async () => {
    await withServer({ ownedBy: 'me', models: ['smollm2'] }, async (server) => {
      const c = byName(await checkModel(config({}, server), 5000));
      expect(c['model streaming']).toMatchObject({ status: 'fail' });
      expect(c['model streaming']?.reason).toContain("llama-cpp-python's");
      expect(c['model streaming']?.reason).toContain(STREAM_TOOLS_OFF);
      expect(server.chatRequests().filter((r) => r.stream)).toEqual([]);
    });
  });
});

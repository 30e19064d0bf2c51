/**
 * End-to-end traces (README, "Operations: traces"): one turn with two tool calls, through the real
 * API, Temporal dev server, worker, reference backend and fake model, exported over OTLP/HTTP to
 * a real receiver in this process. The test checks the parent/child chain from the caller's
 * `traceparent` to each model and backend call, the GenAI attributes, the trace id in the reply
 * and the log lines, and that no message, prompt, tool argument or key is in what was exported.
 */
import http from 'node:http';
import { Writable } from 'node:stream';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { inClientSpan, startTracing, type Tracing } from '../../src/clients/tracing';
import { MissionControlClient } from '../../src/clients/mission-control';
import {
  startOtlpCollector,
  renderTrace,
  type CollectedSpan,
  type OtlpCollector,
} from '../support/otlp-collector';
import {
  sendBody,
  startStack,
  TEST_INTERNAL_TOKEN,
  TEST_JWT_SECRET,
  TEST_OPENAI_KEY,
  type Stack,
} from '../support/stack';
import { buildApp } from '../../src/api/app';
import { workerTracing } from '../../src/worker/tracing';
import { createWorkspace } from '../../src/clients/workspace';
import { eventually, send } from './helpers';
import { collectSse, listenLocally, postJson } from '../support/sse';
import { generatePayloadKey } from '../../src/clients/temporal/payload-codec';
import { temporalDataConverter } from '../../src/clients/temporal/connection';

const OTLP_KEY = 'otlp-vendor-key-must-not-be-exported';
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const MESSAGE = 'Plan the Orion-7 launch and file the two follow-up tasks';
const TOOL_TITLES = ['Brief the Zephyr vendors', 'Book the Quillon venue'];
const REPLY = 'Filed both follow-up tasks for the Orion-7 launch.';

/** A second caller's trace, for the second traced turn on the same worker. */
const SECOND_TRACE = '0af7651916cd43dd8448eb211c80319c';
/** The caller's trace of the encrypted, streamed turn. */
const SEALED_TRACE = '5c1e0f2a9b8d4c3e8f7a6b5c4d3e2f1a';

function sendAs(stack: Stack, user: string, trace = CALLER_TRACE) {
  return send(stack, sendBody({ user_id: user, session_key: `user:${user}:lead`, message: MESSAGE }), {
    headers: { traceparent: `00-${trace}-${CALLER_SPAN}-01` },
  });
}

function scriptTwoToolCalls(stack: Stack): void {
  stack.llm.script(
    {
      toolCalls: TOOL_TITLES.map((title, i) => ({
        id: `call_${i}`,
        name: 'create_task',
        arguments: { title },
      })),
      usage: { prompt_tokens: 1200, completion_tokens: 40, total_tokens: 1240 },
    },
    { text: REPLY, usage: { prompt_tokens: 1300, completion_tokens: 12, total_tokens: 1312 } },
  );
}

/** Flushes until `ready` holds: the request span ends as the reply goes out, the run's spans just after. */
function flushSpansUntil(tracing: Tracing, ready: () => boolean): Promise<true> {
  return eventually(
    async () => {
      await tracing.processor.forceFlush();
      return ready() || undefined;
    },
    15_000,
    100,
  );
}

/** The spans of the user's turn: the caller's trace, once it holds the request span and the finished run. */
async function exportedTurnTrace(
  tracing: Tracing,
  collector: OtlpCollector,
  turnId: string,
  trace: string,
  requestSpan = 'POST /api/agents/send',
): Promise<CollectedSpan[]> {
  const ofTurn = () => {
    const inTrace = collector.spans().filter((s) => s.traceId === trace);
    const run = inTrace.find((s) => s.name === 'RunWorkflow:agentTurn' && s.attributes.workflowId === turnId);
    return run ? inTrace : [];
  };
  await flushSpansUntil(tracing, () => ofTurn().some((s) => s.name === requestSpan));
  return ofTurn();
}

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  it('answers without traceparent and starts no trace', async () => {
    scriptTwoToolCalls(stack);
    const res = await sendAs(stack, 'untraced');
    expect(res.statusCode).toBe(200);
    expect(res.headers.traceparent).toBeUndefined();
  });
});

describe.each(['http/json', 'http/protobuf'] as const)('tracing on, OTLP %s', (protocol) => {
  let collector: OtlpCollector;
  let tracing: Tracing;
  let stack: Stack;
  beforeAll(async () => {
    collector = await startOtlpCollector();
    const { tracing: settings } = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${OTLP_KEY}`,
    });
    tracing = (await startTracing(settings, 'clasper-e2e'))!;
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.stop();
    await tracing.shutdown();
    await collector.close();
  });

  const flushUntil = (ready: () => boolean) => flushSpansUntil(tracing, ready);
  const exportedTrace = (turnId: string, trace: string) =>
    exportedTurnTrace(tracing, collector, turnId, trace);

  if (protocol === 'http/json') {
    // Twice on one worker: the second run's workflow spans must not lean on the first's state.
    it.each([
      ['first', CALLER_TRACE],
      ['second', SECOND_TRACE],
    ])(
      'one trace per turn (%s): request → workflow start → run → activities → model and backend calls',
      async (which, trace) => {
        scriptTwoToolCalls(stack);
        const res = await sendAs(stack, `traced-${which}`, trace);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ response: REPLY, tool_calls: [{ ok: true }, { ok: true }] });

        // The reply continues the caller's trace with the request's own span.
        const traceparent = String(res.headers.traceparent);
        expect(traceparent).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-01$`));
        const requestSpanId = traceparent.split('-')[2];
        expect(requestSpanId).not.toBe(CALLER_SPAN);

        const spans = await exportedTrace(res.json().turn_id, trace);
        const byId = new Map(spans.map((s) => [s.spanId, s]));
        const parentOf = (s: CollectedSpan) => byId.get(s.parentSpanId);
        const named = (name: string) => spans.filter((s) => s.name === name);
        const one = (name: string) => {
          const found = named(name);
          expect({ name, count: found.length }).toEqual({ name, count: 1 });
          return found[0]!;
        };

        const request = one('POST /api/agents/send');
        expect(request).toMatchObject({ spanId: requestSpanId, parentSpanId: CALLER_SPAN, kind: 2 });
        expect(request.attributes).toMatchObject({
          'http.route': '/api/agents/send',
          'http.response.status_code': 200,
        });
        // Through the session: the send's update-with-start, then the session starts the turn as
        // its child in that update's context.
        const submit = one('UpdateWithStartWorkflow:submitTurn');
        expect(parentOf(submit)).toBe(request);
        const start = one('StartChildWorkflow:agentTurn');
        expect(parentOf(start)).toBe(submit);
        const run = one('RunWorkflow:agentTurn');
        expect(parentOf(run)).toBe(start);
        expect(run.attributes.workflowId).toBe(res.json().turn_id);

        // Each activity: StartActivity in the workflow, RunActivity in the worker, its calls below.
        const runsOf = (type: string) =>
          named(`RunActivity:${type}`).map((runActivity) => {
            const startActivity = parentOf(runActivity)!;
            expect(startActivity.name).toBe(`StartActivity:${type}`);
            expect(parentOf(startActivity)).toBe(run);
            return runActivity;
          });
        const callsUnder = (parent: CollectedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);

        const modelRuns = runsOf('callModel');
        expect(modelRuns).toHaveLength(2);
        const chats = modelRuns.map((r) => {
          const [chat, ...more] = callsUnder(r);
          expect(more).toEqual([]);
          return chat!;
        });
        expect(chats.map((c) => c.name)).toEqual(['chat gpt-4o-mini', 'chat gpt-4o-mini']);
        expect(chats.map((c) => c.kind)).toEqual([3, 3]);
        expect(
          chats
            .map((c) => c.attributes)
            .sort((a, b) => Number(a['gen_ai.usage.input_tokens']) - Number(b['gen_ai.usage.input_tokens'])),
        ).toEqual([
          expect.objectContaining({
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.response.model': 'gpt-4o-mini',
            'gen_ai.usage.input_tokens': 1200,
            'gen_ai.usage.output_tokens': 40,
            'gen_ai.response.finish_reasons': ['tool_calls'],
            'clasper.model.tool_calls': 2,
            'server.address': '127.0.0.1',
          }),
          expect.objectContaining({
            'gen_ai.usage.input_tokens': 1300,
            'gen_ai.usage.output_tokens': 12,
            'gen_ai.response.finish_reasons': ['stop'],
          }),
        ]);

        const toolRuns = runsOf('runTool');
        expect(toolRuns).toHaveLength(2);
        for (const toolRun of toolRuns) {
          expect(callsUnder(toolRun).map((s) => [s.name, s.attributes['http.response.status_code']])).toEqual(
            [['POST /api/mission-control/tasks', 200]],
          );
        }
        const [reply] = runsOf('postReply');
        expect(callsUnder(reply!).map((s) => s.name)).toEqual(['POST /api/mission-control/messages']);
        for (const setup of ['resolveTask', 'loadWorkspace', 'listTurnTools'])
          expect(runsOf(setup)).toHaveLength(1);

        // Every span is one of this process's, exported with the configured headers.
        expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['clasper-e2e']));
        expect(collector.requests.every((r) => r.headers['x-api-key'] === OTLP_KEY)).toBe(true);

        if (which === 'first')
          process.stdout.write(`\nOne turn's trace, as the README shows it:\n${renderTrace(spans)}\n`);

        // The traced run replays on the bundled code: its headers choose the traced path again (a
        // replayer needs the worker's span sink, which ignores replayed spans).
        const history = await stack.client.workflow.getHandle(res.json().turn_id).fetchHistory();
        expect(
          history.events?.[0]?.workflowExecutionStartedEventAttributes?.header?.fields?.['_tracer-data'],
        ).toBeDefined();
        await Worker.runReplayHistory(
          {
            workflowBundle: { codePath: String(process.env.CLASPER_TEST_WORKFLOW_BUNDLE) },
            sinks: (await workerTracing()).sinks,
          },
          history,
        );
      },
    );
  }

  if (protocol === 'http/json') {
    it("two sends of one session are two traces: each turn runs in its own send's trace", async () => {
      const user = 'traced-twice';
      scriptTwoToolCalls(stack);
      const first = await sendAs(stack, user, CALLER_TRACE);
      scriptTwoToolCalls(stack);
      // The session run the first send started is still open: the second lands in it by update.
      const second = await sendAs(stack, user, SECOND_TRACE);
      expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
      const firstTurn: string = first.json().turn_id;
      const secondTurn: string = second.json().turn_id;
      const secondSpans = await exportedTrace(secondTurn, SECOND_TRACE);
      const runOf = (spans: CollectedSpan[], turnId: string) =>
        spans.filter((s) => s.name === 'RunWorkflow:agentTurn' && s.attributes.workflowId === turnId);
      expect(runOf(secondSpans, secondTurn)).toHaveLength(1);
      const firstSpans = await exportedTrace(firstTurn, CALLER_TRACE);
      expect(runOf(firstSpans, firstTurn)).toHaveLength(1);
      // Nothing of the second turn in the first send's trace (which started the session run).
      expect(runOf(firstSpans, secondTurn)).toEqual([]);
      expect(
        collector
          .spans()
          .filter((s) => s.attributes.workflowId === secondTurn)
          .every((s) => s.traceId === SECOND_TRACE),
      ).toBe(true);
    });
  }

  it(`exports ${protocol} with no message, prompt, tool argument, reply or key in it`, async () => {
    scriptTwoToolCalls(stack);
    const res = await sendAs(stack, `scan-${protocol.replace('/', '-')}`);
    expect(res.statusCode).toBe(200);
    // The run's id travels as text in both encodings; the trace id as hex in JSON, as 16 bytes in protobuf.
    const turnId: string = res.json().turn_id;
    const traceId =
      protocol === 'http/json' ? CALLER_TRACE : Buffer.from(CALLER_TRACE, 'hex').toString('latin1');
    await flushUntil(() => {
      const wire = Buffer.concat(collector.requests.map((r) => r.body)).toString('latin1');
      return wire.includes(traceId) && wire.includes(turnId) && wire.includes('POST /api/agents/send');
    });
    expect(
      collector.requests.every(
        (r) => r.contentType === (protocol === 'http/json' ? 'application/json' : 'application/x-protobuf'),
      ),
    ).toBe(true);
    const wire = Buffer.concat(collector.requests.map((r) => r.body)).toString('utf8');
    const systemPrompt = String(stack.llm.chatRequests()[0]?.body?.messages?.[0]?.content ?? '');
    const promptLines = systemPrompt.split('\n').filter((l) => l.trim().length >= 24);
    expect(promptLines.length).toBeGreaterThan(3);
    const forbidden = [
      MESSAGE,
      'Orion-7',
      ...TOOL_TITLES,
      REPLY,
      ...promptLines,
      TEST_OPENAI_KEY,
      TEST_JWT_SECRET,
      TEST_INTERNAL_TOKEN,
      OTLP_KEY,
    ];
    expect(forbidden.filter((text) => wire.includes(text))).toEqual([]);
  });

  if (protocol === 'http/json') {
    it('sends the trace context on to Mission Control, and marks a failed call by its type only', async () => {
      const seen: string[] = [];
      const backend = http.createServer((req, res) => {
        seen.push(String(req.headers.traceparent));
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down for Orion-7 upkeep"}');
      });
      await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
      const port = (backend.address() as { port: number }).port;
      const mc = new MissionControlClient({ ...stack.config.backend, url: `http://127.0.0.1:${port}` });
      let callerTrace = '';
      try {
        await expect(
          inClientSpan('caller', {}, (span) => {
            callerTrace = span!.spanContext().traceId;
            return mc.anonymousCapabilities();
          }),
        ).rejects.toThrow(/503/);
      } finally {
        await new Promise((r) => backend.close(r));
      }
      expect(seen).toHaveLength(1);
      const [, traceId, parentId] = seen[0]!.split('-');
      expect(traceId).toBe(callerTrace);
      await flushUntil(() => collector.spans().some((s) => s.spanId === parentId));
      const call = collector.spans().find((s) => s.spanId === parentId)!;
      expect(call).toMatchObject({ name: 'GET /api/mission-control/capabilities', kind: 3 });
      expect(call.attributes).toMatchObject({
        'http.response.status_code': 503,
        'error.type': 'MissionControl.ServerError',
      });
      expect(call.status).toEqual({ code: 2, message: 'MissionControl.ServerError' });
    });

    it('puts the trace id in every log line of the request', async () => {
      const lines: Record<string, unknown>[] = [];
      const stream = new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
          done();
        },
      });
      const api = await buildApp({
        config: stack.config,
        client: stack.client,
        workspace: createWorkspace({
          root: stack.config.agent.workspace,
          env: {},
          includeTimeContext: false,
        }),
        logger: { level: 'info', stream },
      });
      try {
        const res = await api.inject({
          method: 'GET',
          url: '/api/agents/turns/agent-turn%2Fnobody%2Fnothing',
          headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
        });
        expect(res.statusCode).toBe(404);
        expect(lines.length).toBeGreaterThanOrEqual(2); // incoming request, request completed
        expect(lines.map((l) => l.trace_id)).toEqual(lines.map(() => CALLER_TRACE));
        // Health probes are not traced: no span, no trace id.
        lines.length = 0;
        const health = await api.inject({ method: 'GET', url: '/health' });
        expect(health.headers.traceparent).toBeUndefined();
        expect(lines.every((l) => l.trace_id === undefined)).toBe(true);
      } finally {
        await api.close();
      }
    });
  }
});

// Also the direct start (CLASPER_SESSIONS=false): the API starts the turn itself.
describe('tracing on, with payload encryption, LLM_STREAM_WITH_TOOLS=false and no sessions', () => {
  let collector: OtlpCollector;
  let tracing: Tracing;
  let stack: Stack;
  beforeAll(async () => {
    collector = await startOtlpCollector();
    const { tracing: settings } = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    tracing = (await startTracing(settings, 'clasper-e2e'))!;
    stack = await startStack({
      env: {
        CLASPER_PAYLOAD_KEYS: generatePayloadKey('k1'),
        LLM_STREAM_WITH_TOOLS: 'false',
        CLASPER_SESSIONS: 'false',
      },
      modelRejectsStreamedTools: true,
    });
  });
  afterAll(async () => {
    await stack.stop();
    await tracing.shutdown();
    await collector.close();
  });

  it('traces a streamed, encrypted turn the same way; only the trace context travels unencrypted', async () => {
    scriptTwoToolCalls(stack);
    const base = await listenLocally(stack.api);
    const user = 'traced-sealed';
    const res = await postJson(
      `${base}/api/agents/stream`,
      sendBody({ user_id: user, session_key: `user:${user}:lead`, message: MESSAGE }),
      { headers: { traceparent: `00-${SEALED_TRACE}-${CALLER_SPAN}-01` } },
    );
    expect(res.headers.get('traceparent')).toMatch(new RegExp(`^00-${SEALED_TRACE}-[0-9a-f]{16}-01$`));
    const events = await collectSse(res);
    const done = events.find((e) => e.event === 'done');
    expect(done?.data).toMatchObject({ status: 'ok', response: REPLY });
    const turnId = String(events.find((e) => e.event === 'start')?.data.turn_id);

    const spans = await exportedTurnTrace(
      tracing,
      collector,
      turnId,
      SEALED_TRACE,
      'POST /api/agents/stream',
    );
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const [request] = spans.filter((s) => s.name === 'POST /api/agents/stream');
    const start = spans.find((s) => s.name === 'StartWorkflow:agentTurn')!;
    const run = spans.find((s) => s.name === 'RunWorkflow:agentTurn')!;
    expect(request?.parentSpanId).toBe(CALLER_SPAN);
    expect(byId.get(start.parentSpanId)).toBe(request);
    expect(byId.get(run.parentSpanId)).toBe(start);
    const chats = spans.filter((s) => s.name === 'chat gpt-4o-mini');
    expect(chats.map((c) => byId.get(byId.get(c.parentSpanId)!.parentSpanId)!.parentSpanId)).toEqual([
      run.spanId,
      run.spanId,
    ]);
    // Both steps offered tools, so neither was asked as a stream, and the spans say so.
    expect(chats.map((c) => c.attributes['clasper.model.streamed'])).toEqual([false, false]);
    expect(stack.llm.chatRequests().map((r) => r.stream)).toEqual([false, false]);
    const toolCalls = spans.filter((s) => byId.get(s.parentSpanId)?.name === 'RunActivity:runTool');
    expect(toolCalls.map((s) => s.name)).toEqual(Array(2).fill('POST /api/mission-control/tasks'));

    // Temporal holds the turn sealed; the tracing header is the one plain payload the client
    // adds, and it holds the trace context and nothing else.
    const history = await stack.client.workflow.getHandle(turnId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const encoding = (p: { metadata?: Record<string, Uint8Array> | null } | undefined) =>
      Buffer.from(p?.metadata?.encoding ?? []).toString('utf8');
    expect(started?.input?.payloads?.map(encoding)).toEqual(['binary/encrypted']);
    const header = started?.header?.fields?.['_tracer-data'];
    expect(encoding(header)).toBe('json/plain');
    const context = JSON.parse(Buffer.from(header?.data ?? []).toString('utf8'));
    expect(Object.keys(context)).toEqual(['traceparent']);
    expect(context.traceparent).toMatch(new RegExp(`^00-${SEALED_TRACE}-${start.spanId}-01$`));

    // It replays with the keys and the worker's span sink.
    await Worker.runReplayHistory(
      {
        workflowBundle: { codePath: String(process.env.CLASPER_TEST_WORKFLOW_BUNDLE) },
        dataConverter: temporalDataConverter(stack.config),
        sinks: (await workerTracing()).sinks,
      },
      history,
    );
  });
});

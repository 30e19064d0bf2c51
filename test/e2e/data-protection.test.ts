/**
 * Data protection on the real dev server (README, "Data protection"): with CLASPER_PAYLOAD_KEYS
 * set, what Temporal stores of a turn — read raw with `temporal workflow show --output json`, no
 * codec — holds no plaintext of the message, system prompt, answer or tool results, and every
 * payload but the search attributes is `binary/encrypted`; the API still answers in plaintext; the
 * codec server decodes for an authorised caller only (also for the Temporal CLI); a key rotation
 * leaves a turn in flight able to finish; a worker without the key fails the workflow task with a
 * line naming the key and recovers once given it; an encrypted history replays with the keys.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { generatePayloadKey } from '../../src/clients/temporal/payload-codec';
import { temporalDataConverter } from '../../src/clients/temporal/connection';
import { createClasperWorker } from '../../src/worker/worker';
import type { Config } from '../../src/config';
import { temporalCliPath } from '../../scripts/lib/temporal-dev-server';
import { makeSessionWorkflowId } from '../../src/shared/session';
import { sendBody } from '../support/stack';
import { buildTestApp } from '../support/api-app';
import { createTask, eventually, send, systemPromptOf, useStack } from './helpers';

jest.setTimeout(120_000);

const run = promisify(execFile);
const KEY_A = generatePayloadKey('a');
const KEY_B = generatePayloadKey('b');
const CODEC_TOKEN = 'e2e-codec-token-0123456789';
const ENCRYPTED = 'binary/encrypted';

/** Strings that must never reach Temporal in plaintext, one per kind of user data. */
const MARK = {
  message: 'ZEBRA-MESSAGE-7731',
  systemPrompt: 'ZEBRA-SYSPROMPT-5531',
  answer: 'ZEBRA-ANSWER-4410',
  toolResult: 'ZEBRA-TOOLRESULT-9912',
  toolArgs: 'ZEBRA-TOOLARGS-2207',
};

type Json = unknown;
interface FoundPayload {
  path: string;
  encoding: string;
  keyId?: string;
  data: string;
}

/**
 * Payloads that are plain by design: search attributes (indexed, so they must stay readable), and
 * the bookkeeping Temporal's core SDK writes into markers itself — a local activity's sequence
 * number, id, type and times, a patch's id — which never passes through a codec. The history text
 * check still proves none of them carries user data.
 */
const PLAIN_BY_DESIGN = /searchAttributes|markerRecordedEventAttributes\.details\.(data|patch-data)\./;
const sealedOnes = (payloads: FoundPayload[]) => payloads.filter((p) => !PLAIN_BY_DESIGN.test(p.path));

const b64 = (s: string | undefined) =>
  s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');

/** Every Payload in a history as the CLI prints it (protobuf JSON): where it is and how it is encoded. */
function payloadsIn(value: Json, path = ''): FoundPayload[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => payloadsIn(v, `${path}[${i}]`));
  if (!value || typeof value !== 'object') return [];
  const obj = value as Record<string, Json>;
  const metadata = obj.metadata as Record<string, string> | undefined;
  if (metadata && typeof metadata === 'object' && typeof metadata.encoding === 'string') {
    return [
      {
        path,
        encoding: b64(metadata.encoding) ?? '',
        keyId: b64(metadata['encryption-key-id']),
        data: typeof obj.data === 'string' ? obj.data : JSON.stringify(obj.data ?? ''),
      },
    ];
  }
  return Object.entries(obj).flatMap(([k, v]) => payloadsIn(v, path ? `${path}.${k}` : k));
}

/** The history as raw text plus every base64 field decoded: plaintext in any form shows up here. */
function everyReading(raw: string): string {
  const decoded = [...raw.matchAll(/"([A-Za-z0-9+/]{8,}={0,2})"/g)].map((m) => b64(m[1]));
  return `${raw}\n${decoded.join('\n')}`;
}

async function rawHistory(
  workflowId: string,
  extra: string[] = [],
): Promise<{ raw: string; events: Json[] }> {
  const { stdout } = await run(
    temporalCliPath(),
    [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--address',
      process.env.CLASPER_TEST_TEMPORAL_ADDRESS ?? '',
      '--output',
      'json',
      ...extra,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const parsed = JSON.parse(stdout) as { events?: Json[] };
  return { raw: stdout, events: parsed.events ?? [] };
}

describe('data protection: payloads encrypted before they reach Temporal', () => {
  const stack = useStack({
    env: {
      CLASPER_PAYLOAD_KEYS: `${KEY_A},${KEY_B}`,
      CLASPER_PAYLOAD_KEY_ID: 'a',
      CLASPER_CODEC_TOKEN: CODEC_TOKEN,
      CLASPER_APPROVAL_TOOLS: 'create_task',
      // Small, so the turn's large payloads (the system prompt) take the compressed path too.
      CLASPER_PAYLOAD_COMPRESS_MIN_BYTES: '1024',
    },
  });
  let firstTurnId = '';

  /** A worker on the stack's queue with other payload settings (the stack's own is stopped first). */
  const workers: { worker: Worker; running: Promise<void>; connection: NativeConnection }[] = [];
  async function startWorker(payloads: Config['payloads']) {
    const s = stack();
    const connection = await NativeConnection.connect({ address: s.config.temporal.address });
    const worker = await createClasperWorker({
      config: { ...s.config, payloads },
      connection,
      env: {},
      workflowBundlePath: process.env.CLASPER_TEST_WORKFLOW_BUNDLE,
      taskQueue: s.taskQueue,
    });
    const entry = { worker, running: worker.run(), connection };
    workers.push(entry);
    return entry;
  }
  async function stopWorker(entry: { worker: Worker; running: Promise<void>; connection: NativeConnection }) {
    entry.worker.shutdown();
    await entry.running;
    await entry.connection.close();
  }
  /** No worker of an earlier test (or the stack's) may take this test's tasks. */
  async function stopStackWorker() {
    for (const entry of workers)
      if (entry.worker.getState() === 'RUNNING') await stopWorker(entry).catch(() => undefined);
    const { worker } = stack();
    if (worker.getState() === 'RUNNING') {
      worker.shutdown();
      await eventually(async () => (worker.getState() === 'STOPPED' ? true : undefined), 30_000);
    }
  }
  afterAll(async () => {
    for (const entry of workers)
      if (entry.worker.getState() === 'RUNNING') await stopWorker(entry).catch(() => undefined);
  });

  it('a turn: the raw history has no plaintext of message, prompt, answer or tool data; every payload is encrypted; the API answers in plaintext', async () => {
    const s = stack();
    const user = 'dp1';
    await createTask(s, user, `Notes ${MARK.toolResult}`);
    s.llm.script(
      { toolCalls: [{ id: 'call_lt', name: 'list_tasks', arguments: { limit: 20 } }] },
      { text: `Here is the plan. ${MARK.answer}` },
    );
    const res = await send(
      s,
      sendBody({
        user_id: user,
        session_key: `user:${user}:lead`,
        task_title: 'Launch thread',
        message: `Plan the launch ${MARK.message} and check ${MARK.toolArgs}`,
        metadata: { system_prompt: `Always be brief. ${MARK.systemPrompt}` },
      }),
    );
    expect(res.statusCode).toBe(200);
    const body = res.json();
    // The API decodes: the answer is plaintext, and the model saw the tool result and the prompt.
    expect(body.response).toContain(MARK.answer);
    expect(body.tool_calls).toEqual([{ name: 'list_tasks', ok: true }]);
    expect(systemPromptOf(s.llm.requests[0]!)).toContain(MARK.systemPrompt);
    expect(JSON.stringify(s.llm.requests[1]!.body?.messages)).toContain(MARK.toolResult);
    firstTurnId = body.turn_id;
    const status = await s.api.inject({
      method: 'GET',
      url: `/api/agents/turns/${encodeURIComponent(firstTurnId)}`,
    });
    expect(status.json().result.response).toContain(MARK.answer);

    const { raw, events } = await rawHistory(firstTurnId);
    const text = everyReading(raw);
    for (const [kind, mark] of Object.entries(MARK))
      expect({ kind, found: text.includes(mark) }).toEqual({ kind, found: false });
    // The guard is armed: the same reading does find plaintext that is there (the task title's id is not
    // secret, but the user id in the search attributes is plain by design).
    expect(text).toContain(user);

    const payloads = payloadsIn(events);
    const searchAttributes = payloads.filter((p) => p.path.includes('searchAttributes'));
    const others = sealedOnes(payloads);
    // Input, activity inputs and results, local-activity markers, summaries, the result: many payloads.
    expect(others.length).toBeGreaterThan(10);
    expect(others.filter((p) => p.encoding !== ENCRYPTED).map((p) => `${p.path}: ${p.encoding}`)).toEqual([]);
    expect(new Set(others.map((p) => p.keyId))).toEqual(new Set(['a']));
    // Search attributes stay searchable (not encoded) and carry only ids, roles, triggers and numbers.
    const attributeNames = new Set(searchAttributes.map((p) => p.path.split('.').at(-1)));
    expect([...attributeNames].sort()).toEqual(
      expect.arrayContaining(['ClasperAgentRole', 'ClasperSessionKey', 'ClasperTrigger', 'ClasperUserId']),
    );
    for (const p of searchAttributes) expect(p.encoding).toBe('json/plain');
  });

  it('the codec server decodes for an authorised caller (header, path token, the Temporal CLI) and refuses others', async () => {
    const s = stack();
    const { events } = await rawHistory(firstTurnId);
    const input = payloadsIn(events).find((p) =>
      p.path.includes('workflowExecutionStartedEventAttributes.input'),
    );
    expect(input?.encoding).toBe(ENCRYPTED);
    const raw = (await rawHistory(firstTurnId)).raw;
    const started = (
      JSON.parse(raw) as {
        events: { workflowExecutionStartedEventAttributes?: { input: { payloads: Json[] } } }[];
      }
    ).events[0]!.workflowExecutionStartedEventAttributes!.input;
    const decode = (url: string, headers: Record<string, string> = {}) =>
      s.api.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
        payload: started,
      });

    const ok = await decode('/codec/decode', { authorization: `Bearer ${CODEC_TOKEN}` });
    expect(ok.statusCode).toBe(200);
    const [decoded] = ok.json().payloads as { metadata: Record<string, string>; data: string }[];
    expect(b64(decoded!.metadata.encoding)).toBe('json/plain');
    expect(b64(decoded!.data)).toContain(MARK.message);
    const viaPath = await decode(`/codec/${CODEC_TOKEN}/decode`);
    expect(viaPath.statusCode).toBe(200);
    expect(viaPath.json()).toEqual(ok.json());

    for (const [headers, url, status] of [
      [{}, '/codec/decode', 401],
      [{ authorization: 'Bearer wrong-token' }, '/codec/decode', 403],
      [{}, '/codec/wrong-token/decode', 403],
      [{ authorization: `Bearer ${CODEC_TOKEN}`, 'x-namespace': 'other' }, '/codec/decode', 400],
    ] as const) {
      const refused = await decode(url, headers);
      expect({ url, headers, status: refused.statusCode }).toEqual({ url, headers, status });
      expect(refused.body).not.toContain(MARK.message);
      expect(refused.json().error).toEqual(expect.any(String));
    }

    // Refused before the body is read: a malformed body without a credential is a 401, not a 400.
    const anonymous = await s.api.inject({
      method: 'POST',
      url: '/codec/decode',
      payload: { payloads: 'x' },
    });
    expect(anonymous.statusCode).toBe(401);

    // Encode is the same codec: what it seals, decode opens.
    const plain = {
      payloads: [
        {
          metadata: { encoding: Buffer.from('json/plain').toString('base64') },
          data: Buffer.from('"hi"').toString('base64'),
        },
      ],
    };
    const enc = await s.api.inject({
      method: 'POST',
      url: '/codec/encode',
      headers: { authorization: `Bearer ${CODEC_TOKEN}` },
      payload: plain,
    });
    expect(b64(enc.json().payloads[0].metadata.encoding)).toBe(ENCRYPTED);
    const dec = await s.api.inject({
      method: 'POST',
      url: '/codec/decode',
      headers: { authorization: `Bearer ${CODEC_TOKEN}` },
      payload: enc.json(),
    });
    expect(dec.json()).toEqual({
      payloads: [{ metadata: plain.payloads[0]!.metadata, data: plain.payloads[0]!.data }],
    });

    // CORS: the UI's origin may call, another origin gets no allowance.
    const preflight = (origin: string) =>
      s.api.inject({
        method: 'OPTIONS',
        url: '/codec/decode',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
    const allowed = await preflight('http://localhost:8233');
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:8233');
    expect(String(allowed.headers['access-control-allow-headers'])).toMatch(/X-Namespace/);
    expect((await preflight('https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();

    // The Temporal CLI through the codec server: the same history, readable.
    await s.api.listen({ port: 0, host: '127.0.0.1' });
    const address = s.api.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const { raw: viaCli } = await rawHistory(firstTurnId, [
      '--codec-endpoint',
      `http://127.0.0.1:${port}/codec`,
      '--codec-auth',
      `Bearer ${CODEC_TOKEN}`,
    ]);
    expect(everyReading(viaCli)).toContain(MARK.message);
    expect(everyReading(viaCli)).toContain(MARK.answer);
  });

  it('an encrypted history replays with the keys, and without them fails naming the key', async () => {
    const s = stack();
    const history = await s.client.workflow.getHandle(firstTurnId).fetchHistory();
    const bundle = { codePath: process.env.CLASPER_TEST_WORKFLOW_BUNDLE ?? '' };
    await Worker.runReplayHistory(
      { workflowBundle: bundle, dataConverter: temporalDataConverter(s.config) },
      history,
      firstTurnId,
    );
    const keyless = temporalDataConverter({
      ...s.config,
      payloads: { keys: new Map(), compressMinBytes: 0 },
    });
    await expect(
      Worker.runReplayHistory({ workflowBundle: bundle, dataConverter: keyless }, history, firstTurnId),
    ).rejects.toThrow(/key 'a'/);
  });

  it('rotation: a turn started under key a finishes after the worker switches to key b', async () => {
    const s = stack();
    const user = 'dp2';
    s.llm.script(
      {
        toolCalls: [
          { id: 'call_rot', name: 'create_task', arguments: { title: `Rotated ${MARK.toolArgs}` } },
        ],
      },
      { text: `Finished after rotation. ${MARK.answer}` },
    );
    const started = await send(
      s,
      sendBody({ user_id: user, session_key: `user:${user}:lead`, message: MARK.message }),
      {
        query: 'wait=false',
      },
    );
    expect(started.statusCode).toBe(202);
    const turnId = started.json().turn_id as string;
    const statusUrl = `/api/agents/turns/${encodeURIComponent(turnId)}`;
    await eventually(
      async () =>
        (await s.api.inject({ method: 'GET', url: statusUrl })).json().status === 'waiting_approval'
          ? true
          : undefined,
      30_000,
    );

    // Step 2 of the rotation (README): every process already holds a and b; the worker now seals with b.
    await stopStackWorker();
    const rotated = await startWorker({ ...s.config.payloads, currentKeyId: 'b' });
    const decided = await s.api.inject({
      method: 'POST',
      url: `${statusUrl}/approvals/call_rot`,
      payload: { decision: 'approve' },
    });
    expect(decided.statusCode).toBe(200);
    const done = await eventually(async () => {
      const st = (await s.api.inject({ method: 'GET', url: statusUrl })).json();
      return st.status === 'completed' ? st : undefined;
    }, 60_000);
    expect(done.result.response).toContain(MARK.answer);

    const { raw, events } = await rawHistory(turnId);
    const keyIds = sealedOnes(payloadsIn(events)).map((p) => p.keyId);
    expect(new Set(keyIds)).toEqual(new Set(['a', 'b']));
    expect(everyReading(raw)).not.toContain(MARK.answer);
    await stopWorker(rotated);
  });

  it('a worker without the key fails the workflow task with a line naming the key, and recovers once given it', async () => {
    const s = stack();
    const user = 'dp3';
    s.llm.script({ text: `Recovered. ${MARK.answer}` });
    await stopStackWorker();
    const keyless = await startWorker({ keys: new Map(), compressMinBytes: 0 });
    const started = await send(
      s,
      sendBody({ user_id: user, session_key: `user:${user}:lead`, message: MARK.message }),
      {
        query: 'wait=false',
      },
    );
    expect(started.statusCode).toBe(202);
    const turnId = started.json().turn_id as string;
    const E = temporal.api.enums.v1.EventType;
    // The send went through the session, whose workflow task is the first to need the key.
    const firstToFail = makeSessionWorkflowId(`user:${user}:lead`);
    const failure = await eventually(async () => {
      const history = await s.client.workflow.getHandle(firstToFail).fetchHistory();
      const failed = (history.events ?? []).find((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      return failed?.workflowTaskFailedEventAttributes?.failure?.message ?? undefined;
    }, 30_000);
    expect(failure).toMatch(/encrypted with key 'a', which this process does not have.*CLASPER_PAYLOAD_KEYS/);
    expect(s.llm.requests).toHaveLength(0);

    await stopWorker(keyless);
    const keyed = await startWorker(s.config.payloads);
    const done = await eventually(async () => {
      const st = (
        await s.api.inject({ method: 'GET', url: `/api/agents/turns/${encodeURIComponent(turnId)}` })
      ).json();
      return st.status === 'completed' ? st : undefined;
    }, 60_000);
    expect(done.result.response).toContain(MARK.answer);
    await stopWorker(keyed);
  });
});

describe('deep health warns when payloads are plain in production', () => {
  it('NODE_ENV=production without keys: a warning; with a key, or outside production: none', async () => {
    const deepHealth = async (env: Record<string, string>) => {
      const t = await buildTestApp({ env });
      try {
        return (await t.app.inject({ method: 'GET', url: '/health?deep=true' })).json();
      } finally {
        await t.close();
      }
    };
    expect((await deepHealth({ NODE_ENV: 'production' })).warnings).toEqual([
      expect.stringMatching(
        /^payload encryption is off: .*set CLASPER_PAYLOAD_KEYS and CLASPER_PAYLOAD_KEY_ID/,
      ),
    ]);
    expect(
      (await deepHealth({ NODE_ENV: 'production', CLASPER_PAYLOAD_KEYS: KEY_A })).warnings,
    ).toBeUndefined();
    expect((await deepHealth({})).warnings).toBeUndefined();
  });
});

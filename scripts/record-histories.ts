/**
 * `npm run histories:record`: runs every workflow type for real — a fresh Temporal dev server, the
 * worker as its own process, the reference backend, a fake model — and writes their histories to
 * test/fixtures/histories/, which test/replay/replay.test.ts replays against the current workflow
 * code in `make test`. When to run it (and when not to) is in test/fixtures/histories/README.md.
 *
 *   npm run histories:record             # re-record all
 *   npm run histories:record -- --only agentTurn-tools,standup
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { type AddressInfo } from 'node:net';
import { Command } from 'commander';
import { Client } from '@temporalio/client';
import { bundleClasperWorkflows } from '../src/worker/workflow-bundle';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { REPO_ROOT } from './lib/temporal-dev-server';
import { buildApp } from '../src/api/app';
import { loadConfig } from '../src/config';
import { startTracing } from '../src/clients/tracing';
import { tracingClientInterceptors } from '../src/clients/tracing/temporal';
import { createWorkspace } from '../src/clients/workspace';
import { startOtlpCollector } from '../test/support/otlp-collector';
import { makeWebhookDeliveryId } from '../src/shared/webhook';
import { startScenarioStack, type ScenarioStack } from '../test/reliability/lib/scenario-stack';
import { historyAsText } from '../test/reliability/lib/histories';
import { describeFindings, scanText } from '../test/reliability/lib/secrets';
import type { FakeStep, RecordedRequest } from '../test/support/fake-openai';
import { planStep, planTurns, sendBodyFor, turnTagOf, modelStepOf } from '../test/reliability/lib/turn-plan';

const FIXTURES_DIR = path.join(REPO_ROOT, 'test/fixtures/histories');
const RECORDING_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const FALLBACK = 'gpt-4o';
/** Long enough for the approval recordings to decide in time, short for the timeout recording. */
const APPROVAL_TIMEOUT_SEC = 8;

interface FixtureEntry {
  file: string;
  workflowId: string;
  workflowType: string;
  description: string;
}

interface Recording {
  name: string;
  workflowType: string;
  description: string;
  /** Runs the workflow to its end and returns its workflow id. */
  run(stack: ScenarioStack, ctx: { webhookUrl: string }): Promise<string>;
}

/** The fake model: the turn plan for `[[turn …]]` turns, and a fitting answer for everything else. */
function recordingModel(req: RecordedRequest): FakeStep | undefined {
  const tag = turnTagOf(req);
  const messages = req.body?.messages ?? [];
  const text = messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
  if (tag?.startsWith('fallback-')) return req.model === FALLBACK ? planStep(req) : { status: 500 };
  if (tag?.startsWith('quota-'))
    return { status: 429, errorCode: 'insufficient_quota', error: 'You exceeded your current quota.' };
  if (tag?.startsWith('toolerrors-')) {
    const step = modelStepOf(req);
    if (step === 1)
      return {
        toolCalls: [
          { name: 'delete_all_tasks', arguments: {} },
          { name: 'create_task', arguments: '{"title": "Sub' },
        ],
      };
    return planStep(req, 1);
  }
  if (tag?.startsWith('capped-'))
    return { text: 'Still looking.', toolCalls: [{ name: 'list_tasks', arguments: { limit: 1 } }] };
  if (tag?.startsWith('text-')) return { text: `Done ${tag}` };
  if (tag?.startsWith('slow-')) {
    // A first step slow enough for a session's steer or interrupt to land while it runs.
    if (modelStepOf(req) === 1)
      return { toolCalls: [{ name: 'add_numbers', arguments: { a: 2, b: 3 } }], delayMs: 1_500 };
    return {
      text: `Done ${tag}, having read: ${messages.filter((m) => m.role === 'user').length} user messages`,
    };
  }
  if (tag?.startsWith('streamed-'))
    return {
      text: `Streamed as written: the ${tag} answer, word by word, in a few batches.`,
      chunkDelayMs: 60,
    };
  if (tag?.startsWith('approval-') || tag?.startsWith('apptimeout-') || tag?.startsWith('cancel-')) {
    // Two calls of a tool the reference backend marks requires_approval, and one that needs none.
    if (modelStepOf(req) === 1)
      return {
        toolCalls: [
          { id: 'call_pub_1', name: 'publish_announcement', arguments: { title: 'Launch', body: 'Friday.' } },
          { id: 'call_pub_2', name: 'publish_announcement', arguments: { title: 'Dup', body: 'Friday.' } },
          { id: 'call_sum', name: 'add_numbers', arguments: { a: 2, b: 3 } },
        ],
      };
    return { text: `Done ${tag}` };
  }
  if (tag?.startsWith('fanout-')) {
    // One answer asking for more calls than a step may run: the first ones run, 4 at a time.
    if (modelStepOf(req) === 1)
      return {
        toolCalls: Array.from({ length: 20 }, (_, i) => ({ name: 'add_numbers', arguments: { a: i, b: 1 } })),
      };
    return { text: `Done ${tag}` };
  }
  if (tag) return planStep(req);
  if (/single JSON value/.test(text)) {
    // First an answer that fails the schema, so the validate → ask again path is recorded too.
    const asked = messages.filter((m) => m.role === 'assistant').length;
    return { text: asked === 0 ? '{"priority": "urgent"}' : '{"priority": 2, "reason": "customer-facing"}' };
  }
  if (/Summarise this conversation/.test(text))
    return { text: 'The user planned a launch; the agent drafted a plan.' };
  if (/Write the daily standup/.test(text))
    return { text: '## Done\n- Nothing\n\n## Doing\n- Launch plan: drafting\n\n## Blocked\n- Nothing' };
  if (/Heartbeat check/.test(text)) return { text: 'HEARTBEAT_OK' };
  if (/\[\[notification\]\]/.test(text)) return { text: 'Thanks, noted — I will follow up on the task.' };
  return { text: 'Recorded answer.' };
}

/** Starts a turn without waiting for it; the recording decides or cancels it. */
async function startTurn(
  stack: ScenarioStack,
  tag: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const [turn] = planTurns(tag, 1, 1);
  if (!turn) throw new Error('no turn planned');
  const res = await stack.api.inject({
    method: 'POST',
    url: '/api/agents/send?wait=false',
    headers: { 'x-agent-daemon-key': stack.daemonKey, 'idempotency-key': turn.key },
    payload: { ...sendBodyFor(turn), ...extra },
  });
  if (res.statusCode !== 202) throw new Error(`send ${tag} answered ${res.statusCode}: ${res.body}`);
  return turn.turnId;
}

/** The API's answer to a call on a turn, failing the recording on any error status. */
async function onTurn(
  stack: ScenarioStack,
  method: 'GET' | 'POST',
  turnId: string,
  suffix = '',
  payload?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const res = await stack.api.inject({
    method,
    url: `/api/agents/turns/${encodeURIComponent(turnId)}${suffix}`,
    headers: { 'x-agent-daemon-key': stack.daemonKey },
    ...(payload ? { payload } : {}),
  });
  if (res.statusCode >= 400)
    throw new Error(`${method} ${suffix || 'turn'} answered ${res.statusCode}: ${res.body}`);
  return res.json<Record<string, unknown>>();
}

async function waitForApprovals(stack: ScenarioStack, turnId: string, n: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await onTurn(stack, 'GET', turnId);
    if (Array.isArray(status.pending_approvals) && status.pending_approvals.length === n) return;
    if (Date.now() > deadline) throw new Error(`${turnId} never waited on ${n} approvals`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A send on the recordings' session user `rec-s1` (own session), without waiting for its turn. */
async function sessionSend(
  stack: ScenarioStack,
  tag: string,
  strategy: string,
): Promise<Record<string, unknown>> {
  const res = await stack.api.inject({
    method: 'POST',
    url: '/api/agents/send?wait=false',
    headers: { 'x-agent-daemon-key': stack.daemonKey, 'idempotency-key': `rec-${tag}` },
    payload: {
      user_id: SESSION_USER,
      session_key: `user:${SESSION_USER}:lead`,
      message: `[[turn ${tag}]] Add the numbers.`,
      task_title: 'Session thread',
      multitask_strategy: strategy,
    },
  });
  if (res.statusCode !== 202) throw new Error(`send ${tag} answered ${res.statusCode}: ${res.body}`);
  return res.json<Record<string, unknown>>();
}

/** Waits until the model has been asked for `tag`'s turn: it runs its slow first step now. */
async function modelAsked(stack: ScenarioStack, tag: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!stack.llm.chatRequests().some((r) => turnTagOf(r) === tag)) {
    if (Date.now() > deadline) throw new Error(`the model was never asked for ${tag}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * One session through every strategy: slow-a runs and takes a steered message; slow-b runs and is
 * interrupted by text-c, with text-d queued behind it; then the session idles out and ends.
 */
async function sessionScenario(stack: ScenarioStack): Promise<void> {
  if (sessionRecorded) return;
  sessionRecorded = true;
  await sessionSend(stack, 'slow-a', 'enqueue');
  await modelAsked(stack, 'slow-a');
  const steered = await sessionSend(stack, 'steer-a', 'steer');
  if (steered.status !== 'steered') throw new Error(`steer was not taken: ${JSON.stringify(steered)}`);
  await settled(stack, 'agent-turn/rec-s1/rec-slow-a');
  await sessionSend(stack, 'slow-b', 'enqueue');
  await modelAsked(stack, 'slow-b');
  await sessionSend(stack, 'text-c', 'interrupt');
  await sessionSend(stack, 'text-d', 'enqueue');
  await settled(stack, 'agent-turn/rec-s1/rec-text-d');
  await stack.client.workflow.getHandle(SESSION_ID).result();
}

async function settled(stack: ScenarioStack, turnId: string): Promise<string> {
  await stack.client.workflow
    .getHandle(turnId)
    .result()
    .catch(() => undefined);
  return turnId;
}

async function sendTurn(
  stack: ScenarioStack,
  tag: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  return settled(stack, await startTurn(stack, tag, extra));
}

/**
 * A turn as an API with tracing on starts it (a caller's traceparent, Temporal's client
 * interceptor): its history carries the `_tracer-data` headers, so the traced path of
 * src/workflows/tracing-interceptors.ts is replayed too. The spans go to a receiver here.
 */
async function sendTracedTurn(stack: ScenarioStack, tag: string): Promise<string> {
  const collector = await startOtlpCollector();
  const tracing = await startTracing(
    { tracesUrl: `${collector.url}/v1/traces`, protocol: 'http/json', headers: {} },
    'clasper-recorder',
  );
  try {
    const client = new Client({
      connection: stack.client.connection,
      interceptors: { workflow: tracingClientInterceptors() },
    });
    const config = loadConfig({
      TEMPORAL_ADDRESS: stack.temporalAddress,
      CLASPER_TASK_QUEUE: stack.taskQueue,
      BACKEND_URL: stack.backendUrl,
      CLASPER_WORKSPACE: path.join(REPO_ROOT, 'workspace'),
    });
    const workspace = createWorkspace({ root: config.agent.workspace, env: {}, includeTimeContext: false });
    const api = await buildApp({ config, client, workspace });
    try {
      const [turn] = planTurns(tag, 1, 1);
      if (!turn) throw new Error('no turn planned');
      const res = await api.inject({
        method: 'POST',
        url: '/api/agents/send?wait=false',
        headers: { 'idempotency-key': turn.key, traceparent: RECORDING_TRACEPARENT },
        payload: sendBodyFor(turn),
      });
      if (res.statusCode !== 202) throw new Error(`traced send answered ${res.statusCode}: ${res.body}`);
      return await settled(stack, turn.turnId);
    } finally {
      await api.close();
    }
  } finally {
    await tracing?.shutdown();
    await collector.close();
  }
}

async function execute(
  stack: ScenarioStack,
  workflowType: string,
  workflowId: string,
  args: unknown[],
): Promise<string> {
  const handle = await stack.client.workflow.start(workflowType, {
    taskQueue: stack.taskQueue,
    workflowId,
    args,
  });
  await handle.result().catch(() => undefined);
  return workflowId;
}

const SESSION_USER = 'rec-s1';
const SESSION_ID = `session/user:${SESSION_USER}:lead`;
/** Seconds an idle session lives in the recordings, so the session recording ends. */
const SESSION_IDLE_SEC = 3;
let sessionRecorded = false;

const RECORDINGS: Recording[] = [
  ...(
    [
      [
        'session',
        'session',
        'one session: a turn that takes a steered message, a turn interrupted by the next, one queued behind, then idle end',
        SESSION_ID,
      ],
      [
        'agentTurn-steered',
        'agentTurn',
        "a session's steer: a message added by the steer update, read by the second model step",
        'agent-turn/rec-s1/rec-slow-a',
      ],
      [
        'agentTurn-interrupted',
        'agentTurn',
        "a session's interrupt: the model step finishes, the tool never runs, the turn ends cancelled",
        'agent-turn/rec-s1/rec-slow-b',
      ],
    ] as const
  ).map(([name, workflowType, description, workflowId]): Recording => ({
    name,
    workflowType,
    description,
    run: async (s) => {
      await sessionScenario(s);
      return workflowId;
    },
  })),
  {
    name: 'budget',
    workflowType: 'budget',
    description:
      "a user's budget: an override set through the API, then one turn's model call charged, while the run waits for the end of its UTC day",
    run: async (s) => {
      const user = 'rec-b1';
      const headers = { 'x-agent-daemon-key': s.daemonKey };
      const put = await s.api.inject({
        method: 'PUT',
        url: `/api/budgets/${user}`,
        headers,
        payload: { tokens_per_day: 100_000 },
      });
      if (put.statusCode !== 200) throw new Error(`PUT budget answered ${put.statusCode}: ${put.body}`);
      const res = await s.api.inject({
        method: 'POST',
        url: '/api/agents/send',
        headers,
        payload: {
          user_id: user,
          session_key: `user:${user}:lead`,
          message: '[[turn text-budget]] Hello',
          task_title: 'Budget thread',
        },
      });
      if (res.statusCode !== 200) throw new Error(`send answered ${res.statusCode}: ${res.body}`);
      return `budget/${user}`;
    },
  },
  {
    name: 'agentTurn-tools',
    workflowType: 'agentTurn',
    description:
      'three model steps, create_task then post_message + create_document in parallel, reply + kickoff plan document',
    run: (s) => sendTurn(s, 'tools'),
  },
  {
    name: 'agentTurn-traced',
    workflowType: 'agentTurn',
    description:
      'the tools turn started with a trace context (tracing on): OpenTelemetry spans around the run and each activity',
    run: (s) => sendTracedTurn(s, 'traced'),
  },
  {
    name: 'agentTurn-text-webhook',
    workflowType: 'agentTurn',
    description: 'a plain text answer, no tools used, with a signed agent.completed webhook',
    run: (s, ctx) =>
      sendTurn(s, 'text', {
        metadata: {},
        webhook: { url: ctx.webhookUrl, secret: 'recording-webhook-secret' },
      }),
  },
  {
    name: 'agentTurn-tool-errors',
    workflowType: 'agentTurn',
    description:
      'a hallucinated tool and malformed tool-call JSON reported to the model, which then follows the plan',
    run: (s) => sendTurn(s, 'toolerrors'),
  },
  {
    name: 'agentTurn-fallback',
    workflowType: 'agentTurn',
    description: 'the primary model fails all five attempts (500); the fallback model runs the plan',
    run: (s) => sendTurn(s, 'fallback'),
  },
  {
    name: 'agentTurn-failed',
    workflowType: 'agentTurn',
    description:
      'quota exhausted (429 insufficient_quota): the turn fails at once, records its usage, agent.failed webhook',
    run: (s, ctx) => sendTurn(s, 'quota', { webhook: { url: ctx.webhookUrl } }),
  },
  {
    name: 'agentTurn-fanout',
    workflowType: 'agentTurn',
    description:
      'one answer with 20 tool calls: 16 run (CLASPER_MAX_TOOL_CALLS_PER_STEP), 4 at a time, 4 refused as tool errors',
    run: (s) => sendTurn(s, 'fanout'),
  },
  {
    name: 'webhookDelivery',
    workflowType: 'webhookDelivery',
    description: "the text turn's agent.completed event, delivered by its own abandoned child workflow",
    run: async (s) => {
      // Started by the agentTurn-text-webhook recording above.
      const [turn] = planTurns('text', 1, 1);
      const id = makeWebhookDeliveryId(turn?.turnId ?? '', 'agent.completed');
      await s.client.workflow.getHandle(id).result();
      return id;
    },
  },
  {
    name: 'agentTurn-streamed',
    workflowType: 'agentTurn',
    description: "a streaming client: the model's text reaches the turn as batched streamText signals",
    run: async (s) => {
      const [turn] = planTurns('streamed', 1, 1);
      if (!turn) throw new Error('no turn planned');
      // A streamed send answers when the stream ends, with the whole SSE body.
      const res = await s.api.inject({
        method: 'POST',
        url: '/api/agents/stream',
        headers: { 'x-agent-daemon-key': s.daemonKey, 'idempotency-key': turn.key },
        payload: sendBodyFor(turn),
      });
      if (!res.body.includes('event: done')) throw new Error(`stream streamed answered: ${res.body}`);
      return settled(s, turn.turnId);
    },
  },
  {
    name: 'agentTurn-approvals',
    workflowType: 'agentTurn',
    description:
      'two requires_approval calls and one free call in a step: the free one runs, the second is approved with edited arguments, the first denied',
    run: async (s) => {
      const turnId = await startTurn(s, 'approval');
      await waitForApprovals(s, turnId, 2);
      await onTurn(s, 'POST', turnId, '/approvals/call_pub_2', {
        decision: 'approve',
        arguments: { title: 'Launch (edited)', body: 'Friday.' },
      });
      await onTurn(s, 'POST', turnId, '/approvals/call_pub_1', { decision: 'deny', reason: 'duplicate' });
      return settled(s, turnId);
    },
  },
  {
    name: 'agentTurn-approval-timeout',
    workflowType: 'agentTurn',
    description: `nobody decides: both approvals time out (CLASPER_APPROVAL_TIMEOUT_SEC=${APPROVAL_TIMEOUT_SEC}) and count as denials`,
    run: async (s) => settled(s, await startTurn(s, 'apptimeout')),
  },
  {
    name: 'agentTurn-cancelled',
    workflowType: 'agentTurn',
    description: 'cancelled with a reason while it waits for approvals: nothing published, no reply posted',
    run: async (s) => {
      const turnId = await startTurn(s, 'cancel');
      await waitForApprovals(s, turnId, 2);
      await onTurn(s, 'POST', turnId, '/cancel', { reason: 'the user closed the chat' });
      return settled(s, turnId);
    },
  },
  {
    name: 'agentTurn-capped',
    workflowType: 'agentTurn',
    description: 'a model that never stops calling tools, ended by CLASPER_MAX_TOOL_ITERATIONS',
    run: (s) => sendTurn(s, 'capped'),
  },
  {
    name: 'dispatcher',
    workflowType: 'dispatcher',
    description:
      'one dispatch run over a 6 s window polling every second: a notification at once and one mid-window, each starting its notificationTurn, then idle polls to the window end',
    run: async (s) => {
      const notify = (content: string) =>
        s.internal('POST', '/api/mission-control/notifications', {
          user_id: 'rec-u1',
          session_key: 'user:rec-u1:lead',
          content,
          task_title: 'Launch',
        });
      // A run covers the rest of its window (multiples of 6 s since the epoch): start just after one.
      await new Promise((r) => setTimeout(r, 6_000 - (Date.now() % 6_000) + 100));
      await notify('[[notification]] The launch date moved to Friday.');
      const workflowId = 'record/dispatcher';
      const handle = await s.client.workflow.start('dispatcher', {
        taskQueue: s.taskQueue,
        workflowId,
        args: [{ windowSec: 6, intervalSec: 1 }],
      });
      await new Promise((r) => setTimeout(r, 1_500));
      await notify('[[notification]] Please also tell the press.');
      await handle.result();
      return workflowId;
    },
  },
  {
    name: 'notificationTurn',
    workflowType: 'notificationTurn',
    description: "the dispatcher's child: runs the notification's agent turn, then acks delivery",
    run: async (s) => {
      // Started by the dispatcher recording above; wait for it and take its id.
      const deadline = Date.now() + 60_000;
      for (;;) {
        for await (const wf of s.client.workflow.list({ query: `WorkflowType = 'notificationTurn'` })) {
          await s.client.workflow.getHandle(wf.workflowId).result();
          return wf.workflowId;
        }
        if (Date.now() > deadline) throw new Error('no notificationTurn was started by the dispatcher');
        await new Promise((r) => setTimeout(r, 300));
      }
    },
  },
  {
    name: 'heartbeat',
    workflowType: 'heartbeat',
    description: 'backend heartbeat call, HEARTBEAT.md as a child agent turn, HEARTBEAT_OK (nothing posted)',
    run: (s) => execute(s, 'heartbeat', 'record/heartbeat/rec-u1/lead', [{ userId: 'rec-u1', role: 'lead' }]),
  },
  {
    name: 'standup',
    workflowType: 'standup',
    description: "the user's tasks summarised by the model into a standup document, backend standup call",
    run: (s) =>
      execute(s, 'standup', 'record/standup/rec-u1/lead', [
        { userId: 'rec-u1', role: 'lead', timezone: 'UTC' },
      ]),
  },
  {
    name: 'compactConversation',
    workflowType: 'compactConversation',
    description: 'older messages summarised by the cheap model, recent ones kept',
    run: (s) =>
      execute(s, 'compactConversation', 'record/compact', [
        {
          keepRecent: 2,
          messages: [
            { role: 'user', content: 'Plan the launch.' },
            { role: 'assistant', content: 'Here is a plan: 1. … 2. …' },
            { role: 'user', content: 'Move it to Friday.' },
            { role: 'assistant', content: 'Done, Friday it is.' },
            { role: 'user', content: 'Who owns the copy?' },
          ],
        },
      ]),
  },
  {
    name: 'llmTask',
    workflowType: 'llmTask',
    description: 'a JSON task with a schema: the first answer fails validation, the second passes',
    run: (s) =>
      execute(s, 'llmTask', 'record/llm-task', [
        {
          prompt: 'Rate the priority of this ticket from 1 to 3.',
          input: { ticket: 'Checkout is down for EU customers' },
          schema: {
            type: 'object',
            properties: { priority: { type: 'integer', minimum: 1, maximum: 3 }, reason: { type: 'string' } },
            required: ['priority'],
          },
          temperature: 0,
          tier: 'default',
        },
      ]),
  },
];

async function main(): Promise<void> {
  const opts = new Command()
    .name('histories:record')
    .option('--only <names>', `comma-separated subset of ${RECORDINGS.map((r) => r.name).join(',')}`)
    .parse()
    .opts<{ only?: string }>();
  const wanted = opts.only ? new Set(opts.only.split(',').map((s) => s.trim())) : undefined;
  // The notification turn is the dispatcher's child, so recording it needs the dispatcher run first.
  if (wanted?.has('notificationTurn')) wanted.add('dispatcher');
  if (wanted?.has('webhookDelivery')) wanted.add('agentTurn-text-webhook');
  const recordings = RECORDINGS.filter((r) => !wanted || wanted.has(r.name));

  const outDir = path.join(REPO_ROOT, '.data/record-histories');
  fs.mkdirSync(outDir, { recursive: true });
  const bundlePath = path.join(outDir, 'workflow-bundle.js');
  const noop = () => undefined;
  const code = await bundleClasperWorkflows({
    logger: { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop },
  });
  fs.writeFileSync(bundlePath, code);

  // A receiver for the webhook recordings.
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  const stack = await startScenarioStack({
    bundlePath,
    fallbackModel: FALLBACK,
    turnTimings: { modelRetryInitialMs: 100 },
    apiEnv: {
      CLASPER_APPROVAL_TIMEOUT_SEC: String(APPROVAL_TIMEOUT_SEC),
      CLASPER_SESSION_IDLE_SEC: String(SESSION_IDLE_SEC),
    },
  });
  try {
    stack.llm.respond(recordingModel);
    const manifestPath = path.join(FIXTURES_DIR, 'index.json');
    const manifest: FixtureEntry[] = fs.existsSync(manifestPath)
      ? (JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { histories: FixtureEntry[] }).histories
      : [];
    fs.mkdirSync(FIXTURES_DIR, { recursive: true });
    for (const rec of recordings) {
      const workflowId = await rec.run(stack, { webhookUrl });
      const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
      const leaks = scanText(`history ${workflowId}`, historyAsText(history), stack.secrets);
      if (leaks.length > 0)
        throw new Error(`refusing to write ${rec.name}: it holds secrets\n${describeFindings(leaks)}`);
      const file = `${rec.name}.json`;
      fs.writeFileSync(
        path.join(FIXTURES_DIR, file),
        `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`,
      );
      const entry: FixtureEntry = {
        file,
        workflowId,
        workflowType: rec.workflowType,
        description: rec.description,
      };
      const at = manifest.findIndex((m) => m.file === file);
      if (at === -1) manifest.push(entry);
      else manifest[at] = entry;
      process.stdout.write(`recorded ${file} (${history.events?.length ?? 0} events, ${workflowId})\n`);
    }
    manifest.sort((a, b) => a.file.localeCompare(b.file));
    fs.writeFileSync(
      manifestPath,
      `${JSON.stringify({ recordedWith: recordedWith(), histories: manifest }, null, 2)}\n`,
    );
  } finally {
    await stack.stop();
    receiver.close();
  }
}

function recordedWith(): string {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(REPO_ROOT, 'node_modules/@temporalio/worker/package.json'), 'utf8'),
  ) as { version: string };
  return `@temporalio/worker ${pkg.version}, ${new Date().toISOString().slice(0, 10)}`;
}

main().catch((err: unknown) => {
  process.stderr.write(
    `histories:record failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

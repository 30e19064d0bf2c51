/**
 * The whole system for end-to-end tests, all real: the reference Mission Control backend over
 * HTTP, the fake OpenAI server over HTTP in strict mode (driven by the real `openai` client in the worker), a
 * worker on a unique task queue of the shared Temporal dev server, and the API app. Only the
 * model's answers are scripted.
 */
import path from 'node:path';
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '../../src/config';
import { buildApp } from '../../src/api/app';
import { createWorkspace, type Workspace } from '../../src/clients/workspace';
import { createClasperWorker } from '../../src/worker/worker';
import { tracingClientInterceptors } from '../../src/clients/tracing/temporal';
import { temporalDataConverter } from '../../src/clients/temporal/connection';
import { buildMissionControlLite } from '../../examples/mission-control-lite/server';
import type { AgentTurnInput, TurnTimings } from '../../src/shared/turn';
import { submitTurnSignal, submitTurnUpdate, type SubmitTurnRequest } from '../../src/shared/session';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { workflowIdGuard } from './workflow-id-guard';

export const TEST_JWT_SECRET = 'e2e-agent-jwt-secret-0123456789abcdef';
export const TEST_INTERNAL_TOKEN = 'e2e-internal-token';
export const TEST_OPENAI_KEY = 'sk-test-e2e-openai-key-do-not-leak';

export interface Backend {
  url: string;
  app: FastifyInstance;
  /** Everything the backend stored (internal inspection endpoint). */
  inspect(userId?: string): Promise<Inspection>;
  internal(method: string, p: string, body?: unknown): Promise<Response>;
}

export interface Inspection {
  tasks: { id: string; user_id: string; title: string; status: string; description?: string }[];
  messages: {
    id: string;
    user_id: string;
    task_id: string;
    content: string;
    actor_type: string;
    agent_role?: string;
  }[];
  documents: {
    id: string;
    user_id: string;
    task_id: string;
    title: string;
    doc_type?: string;
    content: string;
  }[];
  notifications: { notification_id: string; user_id: string; delivered: boolean }[];
  heartbeats: unknown[];
  standups: unknown[];
  announcements: { id: string; user_id: string; title: string; body: string }[];
}

export interface Stack {
  config: Config;
  backend: Backend;
  llm: FakeOpenAI;
  client: Client;
  api: FastifyInstance;
  worker: Worker;
  taskQueue: string;
  /** Workflow ids this stack was refused because another stack of the run uses them (workflow-id-guard.ts). */
  idCollisions: string[];
  stop(): Promise<void>;
}

export async function startBackend(): Promise<Backend> {
  const app = await buildMissionControlLite({
    jwtSecret: TEST_JWT_SECRET,
    internalToken: TEST_INTERNAL_TOKEN,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const internal = (method: string, p: string, body?: unknown) =>
    fetch(`${url}${p}`, {
      method,
      headers: {
        'X-Internal-Token': TEST_INTERNAL_TOKEN,
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  return {
    url,
    app,
    internal,
    async inspect(userId?: string) {
      const res = await internal(
        'GET',
        `/api/mission-control/_inspect${userId ? `?user_id=${encodeURIComponent(userId)}` : ''}`,
      );
      if (!res.ok) throw new Error(`inspect failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as Inspection;
    },
  };
}

export interface StackOptions {
  env?: Record<string, string>;
  /** Start the worker (default true); some tests start their own. */
  worker?: boolean;
  /** The API's workspace (/context, /skills, /boot); default: CLASPER_WORKSPACE as configured. */
  workspace?: Workspace;
  /**
   * Retry timings put into every AgentTurn the API starts (`AgentTurnInput.timings`, which the API
   * itself never sets), e.g. `{ modelRetryInitialMs: 50 }` so "the primary model fails all its
   * attempts" takes ~4 s instead of ~30 s. Applied by a Temporal client
   * interceptor on the API's client: the API and workflow code run unchanged.
   */
  turnTimings?: TurnTimings;
  /**
   * The fake model server validates requests as llama.cpp's server does (fake-openai.ts, `strict`),
   * so every e2e turn, tool loops included, proves its request shape works beyond OpenAI. Default true.
   */
  strictModel?: boolean;
  /** The task queue (default: a fresh one), e.g. to restart a stack over the same workflows. */
  taskQueue?: string;
  /** A Temporal server of the test's own (e.g. one whose UI is configured); default: the run's. */
  temporalAddress?: string;
  /** The fake model server refuses streamed requests that offer tools, as llama-cpp-python's does. */
  modelRejectsStreamedTools?: boolean;
}

/**
 * Adds `timings` to the input of every AgentTurn started through this client: started directly,
 * or submitted to a session (the session starts it as a child with the input it was given).
 */
export function turnTimingsInterceptor(timings: TurnTimings): WorkflowClientInterceptor {
  const withTimings = (input: AgentTurnInput): AgentTurnInput => ({ ...input, timings });
  const inSubmit = ([first, ...rest]: unknown[]) => {
    const req = first as SubmitTurnRequest;
    return [{ ...req, turn: { ...req.turn, input: withTimings(req.turn.input) } }, ...rest];
  };
  return {
    async startWithDetails(input, next) {
      if (input.workflowType !== 'agentTurn') return next(input);
      const [first, ...rest] = input.options.args;
      const args = [withTimings(first as AgentTurnInput), ...rest];
      return next({ ...input, options: { ...input.options, args } });
    },
    async startUpdateWithStart(input, next) {
      if (input.updateName !== submitTurnUpdate.name) return next(input);
      return next({ ...input, updateArgs: inSubmit(input.updateArgs) });
    },
    async signalWithStart(input, next) {
      if (input.signalName !== submitTurnSignal.name) return next(input);
      return next({ ...input, signalArgs: inSubmit(input.signalArgs) });
    },
  };
}

let runtimeInstalled = false;
/** Worker INFO lines drown test output; warnings and errors still show. Once per jest worker process. */
function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by another helper in this process
  }
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  quietTemporalRuntime();
  const address = opts.temporalAddress ?? process.env.CLASPER_TEST_TEMPORAL_ADDRESS;
  const bundle = process.env.CLASPER_TEST_WORKFLOW_BUNDLE;
  if (!address || !bundle) throw new Error('the jest global setup did not start Temporal / bundle workflows');
  const backend = await startBackend();
  const llm = await startFakeOpenAI({
    strict: opts.strictModel ?? true,
    rejectStreamedTools: opts.modelRejectsStreamedTools ?? false,
  });
  const taskQueue = opts.taskQueue ?? `test-${crypto.randomUUID()}`;
  const idCollisions: string[] = [];
  const config = loadConfig({
    BACKEND_URL: backend.url,
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: TEST_OPENAI_KEY,
    AGENT_JWT_SECRET: TEST_JWT_SECRET,
    INTERNAL_API_TOKEN: TEST_INTERNAL_TOKEN,
    TEMPORAL_ADDRESS: address,
    CLASPER_TASK_QUEUE: taskQueue,
    CLASPER_WORKSPACE: path.join(REPO_ROOT, 'workspace'),
    CLASPER_WEBHOOK_ALLOW_PRIVATE: 'true',
    ...opts.env,
  });
  const cleanups: (() => Promise<void>)[] = [() => llm.close(), () => backend.app.close()];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  try {
    const nativeConnection = await NativeConnection.connect({ address });
    cleanups.push(() => nativeConnection.close());
    const worker = await createClasperWorker({
      config,
      connection: nativeConnection,
      env: {},
      workflowBundlePath: bundle,
      taskQueue,
    });
    // A worker that never ran still holds the native connection, so the process could not exit:
    // run it for an instant to release it.
    cleanups.push(async () => {
      if (worker.getState() === 'INITIALIZED') await worker.runUntil(Promise.resolve());
    });
    if (opts.worker !== false) {
      const running = worker.run();
      cleanups.push(async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      });
    }
    const connection = await Connection.connect({ address });
    cleanups.push(() => connection.close());
    // Sessions wait an hour for their next message: none may outlive this stack's worker on a
    // server that other files (or, on a cluster, later runs) keep using. A stack given its task
    // queue is one a later stack resumes, so its workflows stay.
    if (!opts.taskQueue)
      cleanups.push(() => terminateLeftovers(connection, config.temporal.namespace, taskQueue));
    const client = new Client({
      connection,
      namespace: config.temporal.namespace,
      // The API's client as src/clients/temporal/connection.ts builds it (payload codec included).
      dataConverter: temporalDataConverter(config),
      interceptors: {
        workflow: [
          workflowIdGuard(idCollisions),
          ...(opts.turnTimings ? [turnTimingsInterceptor(opts.turnTimings)] : []),
          // As the API's own client has them (src/clients/temporal/connection.ts): none unless tracing runs.
          ...tracingClientInterceptors(),
        ],
      },
    });
    const workspace =
      opts.workspace ??
      createWorkspace({
        root: config.agent.workspace,
        env: {},
        includeTimeContext: config.agent.includeTimeContext,
      });
    const api = await buildApp({ config, client, workspace });
    cleanups.push(() => api.close());
    return { config, backend, llm, client, api, worker, taskQueue, idCollisions, stop: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function terminateLeftovers(
  connection: Connection,
  namespace: string,
  taskQueue: string,
): Promise<void> {
  const client = new Client({ connection, namespace });
  const running = client.workflow.list({
    query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
  });
  for await (const wf of running) {
    await client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate('the test stack that ran it stopped')
      .catch(() => undefined);
  }
}

/** A send body with sensible defaults; override any field. */
export function sendBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    user_id: 'u1',
    session_key: 'user:u1:lead',
    message: 'Hello agent',
    task_title: 'Launch plan',
    ...overrides,
  };
}

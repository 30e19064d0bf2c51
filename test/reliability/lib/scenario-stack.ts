/**
 * The whole system for one reliability scenario, every part real and separately breakable:
 *   - Temporal: the shared test server, or a dev server of our own (with a SQLite file) to restart;
 *   - the reference backend over HTTP, optionally behind an observing proxy, with `_faults`;
 *   - the fake OpenAI server, answering from the turn plan;
 *   - the worker as a child process (WorkerSupervisor), so it can be SIGKILLed;
 *   - the API app in this process, its log lines captured for the secret scan.
 * Secrets are random per stack, so a hit in the scan can only come from this run.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { buildApp } from '../../../src/api/app';
import { createWorkspace } from '../../../src/clients/workspace';
import { loadConfig } from '../../../src/config';
import { temporalDataConverter } from '../../../src/clients/temporal/connection';
import type { AgentTurnResult, TurnTimings } from '../../../src/shared/turn';
import { buildMissionControlLite } from '../../../examples/mission-control-lite/server';
import { REPO_ROOT, startDevServer, type DevServer } from '../../../scripts/lib/temporal-dev-server';
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai';
import { turnTimingsInterceptor } from '../../support/stack';
import { ObservingProxy } from './observing-proxy';
import type { NamedSecret } from './secrets';
import { sendBodyFor, type PlannedTurn, type StoredData } from './turn-plan';
import { WorkerSupervisor } from './worker-supervisor';

export interface ScenarioStackOptions {
  /** Address of a running server (the jest shared one); when absent a dev server of our own starts. */
  temporalAddress?: string;
  /** SQLite file for our own dev server, so it can be stopped and started without losing state. */
  dbFilename?: string;
  /** Prebuilt workflow bundle for the worker processes. */
  bundlePath: string;
  /** Put the observing proxy between the worker and the backend. */
  proxy?: boolean;
  /** LLM_MODEL_FALLBACK for the worker. */
  fallbackModel?: string;
  /** Retry timings put into every turn the API starts (see AgentTurnInput.timings). */
  turnTimings?: TurnTimings;
  /** Start the first worker (default true). */
  startWorker?: boolean;
  /** More settings for the API (turn limits such as CLASPER_APPROVAL_TIMEOUT_SEC go into each turn). */
  apiEnv?: Record<string, string>;
}

export interface FaultRuleInput {
  method?: string;
  path: string;
  mode: 'status' | 'drop' | 'delay' | 'lose_response';
  times?: number;
  status?: number;
  retry_after_sec?: number;
  delay_ms?: number;
  probability?: number;
}

export type TurnOutcome =
  | { state: 'completed'; result: AgentTurnResult }
  | { state: 'failed'; error: string; failureType?: string }
  /** `waitingOn`: what the turn was doing when the wait ended (its pending activities, or why not known). */
  | { state: 'timeout'; waitingOn?: string };

export interface ScenarioStack {
  secrets: NamedSecret[];
  daemonKey: string;
  taskQueue: string;
  temporalAddress: string;
  backendUrl: string;
  proxy?: ObservingProxy;
  llm: FakeOpenAI;
  workers: WorkerSupervisor;
  api: FastifyInstance;
  client: Client;
  /** Every line the API logged. */
  apiLog: string[];
  /** POST /api/agents/send?wait=false for a planned turn; resolves to the HTTP status. */
  submit(turn: PlannedTurn): Promise<number>;
  /** Waits for each turn's end, riding out server restarts; `timeout` for any still running at the deadline. */
  awaitTurns(turns: PlannedTurn[], timeoutMs: number): Promise<Map<string, TurnOutcome>>;
  inspect(): Promise<StoredData>;
  /** A call to the backend's internal endpoints (X-Internal-Token); throws on a non-2xx. */
  internal(method: string, path: string, body?: unknown): Promise<unknown>;
  setFaults(rules: FaultRuleInput[], seed?: number): Promise<void>;
  faultState(): Promise<{ applied_count: number; applied: { mode: string; path: string }[] }>;
  /** Stops our own dev server, waits `downMs`, starts it again on the same port and file. */
  restartTemporal(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startScenarioStack(opts: ScenarioStackOptions): Promise<ScenarioStack> {
  const rand = () => crypto.randomBytes(12).toString('hex');
  const jwtSecret = `rel-jwt-secret-${rand()}`;
  const internalToken = `rel-internal-token-${rand()}`;
  const openaiKey = `sk-rel-${rand()}`;
  const daemonKey = `rel-daemon-key-${rand()}`;
  const secrets: NamedSecret[] = [
    { name: 'AGENT_JWT_SECRET', value: jwtSecret },
    { name: 'INTERNAL_API_TOKEN', value: internalToken },
    { name: 'OPENAI_API_KEY', value: openaiKey },
    { name: 'AGENT_DAEMON_API_KEY', value: daemonKey },
  ];
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    cleanups.length = 0;
  };

  try {
    let server: DevServer | undefined;
    let temporalAddress = opts.temporalAddress;
    if (!temporalAddress) {
      server = await startDevServer({ dbFilename: opts.dbFilename });
      temporalAddress = server.address;
      cleanups.push(() => server?.stop() ?? Promise.resolve());
    }

    const backend = await buildMissionControlLite({ jwtSecret, internalToken });
    await backend.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => backend.close());
    const addr = backend.server.address();
    const backendUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const internal = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${backendUrl}${p}`, {
        method,
        headers: {
          'x-internal-token': internalToken,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      const json = (await res.json()) as unknown;
      if (!res.ok) throw new Error(`${method} ${p} answered ${res.status}: ${JSON.stringify(json)}`);
      return json;
    };

    let proxy: ObservingProxy | undefined;
    if (opts.proxy) {
      proxy = new ObservingProxy(backendUrl);
      await proxy.start();
      cleanups.push(() => proxy?.stop() ?? Promise.resolve());
    }

    const llm = await startFakeOpenAI({ requireApiKey: openaiKey });
    cleanups.push(() => llm.close());

    const taskQueue = `reliability-${crypto.randomUUID()}`;
    const common = {
      TEMPORAL_ADDRESS: temporalAddress,
      CLASPER_TASK_QUEUE: taskQueue,
      AGENT_JWT_SECRET: jwtSecret,
      INTERNAL_API_TOKEN: internalToken,
      OPENAI_API_KEY: openaiKey,
      CLASPER_WORKSPACE: path.join(REPO_ROOT, 'workspace'),
      // Webhook receivers in these scenarios listen on loopback.
      CLASPER_WEBHOOK_ALLOW_PRIVATE: 'true',
    };
    const workers = new WorkerSupervisor({
      ...common,
      BACKEND_URL: proxy?.url ?? backendUrl,
      OPENAI_BASE_URL: llm.url,
      CLASPER_TEST_WORKFLOW_BUNDLE: opts.bundlePath,
      CLASPER_WORKER_METRICS_PORT: '0',
      ...(opts.fallbackModel ? { LLM_MODEL_FALLBACK: opts.fallbackModel } : {}),
    });
    cleanups.push(() => workers.stopAll());

    const connection = await Connection.connect({ address: temporalAddress });
    cleanups.push(() => connection.close());
    const config = loadConfig({
      ...common,
      BACKEND_URL: backendUrl,
      AGENT_DAEMON_API_KEY: daemonKey,
      CLASPER_RATE_LIMIT_PER_MINUTE: '0',
      ...opts.apiEnv,
    });
    const client = new Client({
      connection,
      // As src/clients/temporal/connection.ts builds every client (the payload codec included).
      dataConverter: temporalDataConverter(config),
      ...(opts.turnTimings ? { interceptors: { workflow: [turnTimingsInterceptor(opts.turnTimings)] } } : {}),
    });
    const apiLog: string[] = [];
    const api = await buildApp({
      config,
      client,
      workspace: createWorkspace({
        root: config.agent.workspace,
        env: {},
        includeTimeContext: config.agent.includeTimeContext,
      }),
      logger: { level: 'info', stream: { write: (line: string) => void apiLog.push(line) } },
    });
    cleanups.push(() => api.close());

    if (opts.startWorker !== false) await workers.start();

    const stack: ScenarioStack = {
      secrets,
      daemonKey,
      taskQueue,
      temporalAddress,
      backendUrl,
      proxy,
      llm,
      workers,
      api,
      client,
      apiLog,
      async submit(turn) {
        const res = await api.inject({
          method: 'POST',
          url: '/api/agents/send?wait=false',
          headers: { 'x-agent-daemon-key': daemonKey, 'idempotency-key': turn.key },
          payload: sendBodyFor(turn),
        });
        return res.statusCode;
      },
      async awaitTurns(turns, timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        const outcomes = new Map<string, TurnOutcome>();
        await Promise.all(
          turns.map(async (turn) => {
            outcomes.set(turn.turnId, await awaitOne(client, turn.turnId, deadline));
          }),
        );
        return outcomes;
      },
      internal,
      async inspect() {
        return (await internal('GET', '/api/mission-control/_inspect')) as StoredData;
      },
      async setFaults(rules, seed) {
        await internal('POST', '/api/mission-control/_faults', {
          rules,
          ...(seed !== undefined ? { seed } : {}),
        });
      },
      async faultState() {
        return (await internal('GET', '/api/mission-control/_faults')) as Awaited<
          ReturnType<ScenarioStack['faultState']>
        >;
      },
      async restartTemporal(downMs) {
        if (!server) throw new Error('restartTemporal needs a dev server of our own (no temporalAddress)');
        const port = server.port;
        await server.stop();
        await sleep(downMs);
        server = await startDevServer({ port, dbFilename: opts.dbFilename });
      },
      stop,
    };
    return stack;
  } catch (err) {
    await stop();
    throw err;
  }
}

async function awaitOne(client: Client, turnId: string, deadline: number): Promise<TurnOutcome> {
  const handle = client.workflow.getHandle(turnId);
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return { state: 'timeout', waitingOn: await waitingOn(handle) };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), left);
    try {
      const result = (await client.withAbortSignal(controller.signal, () =>
        handle.result(),
      )) as AgentTurnResult;
      return { state: 'completed', result };
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        let cause: unknown = err.cause;
        while (
          cause instanceof Error &&
          'cause' in cause &&
          cause.cause instanceof Error &&
          cause.name === 'ActivityFailure'
        )
          cause = cause.cause;
        const failure = cause as { message?: string; type?: string } | undefined;
        return { state: 'failed', error: failure?.message ?? err.message, failureType: failure?.type };
      }
      if (controller.signal.aborted) return { state: 'timeout', waitingOn: await waitingOn(handle) };
      // The server is restarting, or the workflow is not visible yet: ask again shortly.
      await sleep(250);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A stuck turn's status and pending activities (type, attempt, last failure), for the report. */
async function waitingOn(handle: WorkflowHandle): Promise<string> {
  try {
    const d = await handle.describe();
    const pending = (d.raw.pendingActivities ?? []).map(
      (a) =>
        `${a.activityType?.name ?? '?'} attempt ${a.attempt ?? '?'}` +
        (a.lastFailure?.message ? ` (last failure: ${a.lastFailure.message.slice(0, 120)})` : ''),
    );
    return `${d.status.name}; pending: ${pending.length > 0 ? pending.join(', ') : 'no activity'}`;
  } catch (err) {
    return `not described: ${String(err).slice(0, 120)}`;
  }
}

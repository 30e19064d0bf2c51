/**
 * `clasper doctor`: is this installation able to run a turn? Checks, each ok / warn / fail with
 * a one-line reason: the configuration parses; Temporal answers for the namespace; a worker polls
 * the task queue; the backend is reachable and speaks contract v1; the backend ACCEPTS our agent
 * JWT (an authenticated read, not just the open capabilities probe); the model endpoint answers
 * with our key; the API answers with our daemon key; the workspace checks out. Exit 1 if any fail.
 */
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { MissionControlClient, MissionControlError, type Capabilities } from '../clients/mission-control';
import { capabilitiesSchema } from '../clients/mission-control/schemas';
import { isDemoMode } from '../clients/model/call-model';
import { createWorkspace } from '../clients/workspace';
import { apiTarget, callApi, describeFetchError, type FetchFn } from './http';
import { errorMessage, printJson, type Out, type Printer } from './output';
import { withTemporalClient } from './temporal';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  /** One line. */
  reason: string;
  /** Extra lines worth showing (config problems, the backend's own error text). */
  details?: string[];
}

export interface DoctorOptions {
  json?: boolean;
  /** Base URL of the API to probe; default http://localhost:$CLASPER_PORT. */
  api?: string;
}

export interface DoctorDeps {
  /** The parsed configuration; absent when the environment did not parse. */
  config?: Config;
  /** loadConfig's problems, one per line, when it failed. */
  configProblems?: string[];
  out: Out;
  /** An already connected Temporal client; otherwise one is connected from the config. */
  client?: Client;
  fetch?: FetchFn;
  /** Environment for workspace skill gating. */
  env?: Record<string, string | undefined>;
  /** Per-probe timeout; default 5000 ms. */
  timeoutMs?: number;
}

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const JWT_REJECTED =
  "the backend rejected the agent token: AGENT_JWT_SECRET / AGENT_JWT_ALGORITHM differ from the backend's";
/** A poll older than this suggests the worker behind it has gone (live workers re-poll at least every ~70 s). */
const STALE_POLLER_MS = 2 * 60_000;
const PROBE_ROLE = 'doctor';
const DEFAULT_PROBE_USER = 'clasper-doctor';

export async function doctorChecks(opts: DoctorOptions, deps: DoctorDeps): Promise<DoctorCheck[]> {
  const { config } = deps;
  if (!config || (deps.configProblems && deps.configProblems.length > 0)) {
    const problems = deps.configProblems ?? ['no configuration'];
    return [
      {
        name: 'config',
        status: 'fail',
        reason: `${problems.length} problem${problems.length === 1 ? '' : 's'} in the environment; the other checks need a valid configuration`,
        details: problems,
      },
    ];
  }
  const timeoutMs = deps.timeoutMs ?? 5000;
  const fetchImpl = deps.fetch ?? fetch;
  const [temporalChecks, backendChecks, model, api, workspace] = await Promise.all([
    checkTemporal(config, deps.client, timeoutMs),
    checkBackend(config, fetchImpl, timeoutMs),
    checkModel(config, fetchImpl, timeoutMs),
    checkApi(config, opts.api, fetchImpl, timeoutMs),
    checkWorkspace(config, deps.env ?? {}),
  ]);
  return [
    { name: 'config', status: 'ok', reason: 'environment is valid' },
    ...temporalChecks,
    ...backendChecks,
    model,
    api,
    workspace,
  ];
}

export async function runDoctor(opts: DoctorOptions, deps: DoctorDeps): Promise<number> {
  const p: Printer = { out: deps.out, json: opts.json === true };
  const checks = await doctorChecks(opts, deps);
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  if (p.json) {
    printJson(p.out, { ok: failed === 0, checks });
  } else {
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks) {
      const label = c.status === 'fail' ? 'FAIL' : c.status;
      p.out.stdout(`${label.padEnd(4)}  ${c.name.padEnd(width)}  ${c.reason}\n`);
      for (const d of c.details ?? []) p.out.stdout(`${' '.repeat(width + 8)}${d}\n`);
    }
    const summary =
      failed > 0
        ? `${failed} check${failed === 1 ? '' : 's'} failed`
        : `all checks passed${warned > 0 ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}`;
    p.out.stdout(`\n${summary}\n`);
  }
  return failed > 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Temporal and the worker

async function checkTemporal(
  config: Config,
  client: Client | undefined,
  timeoutMs: number,
): Promise<DoctorCheck[]> {
  const { address, namespace, taskQueue } = config.temporal;
  try {
    return await withTemporalClient(
      config,
      client,
      async (c) => {
        const deadline = () => Date.now() + timeoutMs;
        try {
          await c.withDeadline(deadline(), () => c.workflowService.describeNamespace({ namespace }));
        } catch (err) {
          return [
            {
              name: 'temporal',
              status: 'fail',
              reason: `namespace '${namespace}' at ${address} could not be described: ${errorMessage(err)}`,
            },
            notChecked('worker', 'Temporal did not answer'),
          ];
        }
        const ok: DoctorCheck = {
          name: 'temporal',
          status: 'ok',
          reason: `namespace '${namespace}' at ${address}`,
        };
        try {
          return [ok, await checkPollers(c, namespace, taskQueue, deadline)];
        } catch (err) {
          return [
            ok,
            {
              name: 'worker',
              status: 'fail',
              reason: `could not describe task queue '${taskQueue}': ${errorMessage(err)}`,
            },
          ];
        }
      },
      timeoutMs,
    );
  } catch (err) {
    return [
      { name: 'temporal', status: 'fail', reason: errorMessage(err) },
      notChecked('worker', 'Temporal not reachable'),
    ];
  }
}

async function checkPollers(
  c: Client,
  namespace: string,
  taskQueue: string,
  deadline: () => number,
): Promise<DoctorCheck> {
  const { TaskQueueKind, TaskQueueType } = temporal.api.enums.v1;
  const describe = (taskQueueType: temporal.api.enums.v1.TaskQueueType) =>
    c.withDeadline(deadline(), () =>
      c.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType,
      }),
    );
  const [wf, act] = await Promise.all([
    describe(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
    describe(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
  ]);
  const pollers = [...wf.pollers, ...act.pollers];
  const identities = [...new Set(pollers.map((p) => p.identity ?? 'unknown'))];
  if (identities.length === 0) {
    return {
      name: 'worker',
      status: 'fail',
      reason: `no worker is polling task queue '${taskQueue}' in namespace '${namespace}': start one (npm run worker) with the same CLASPER_TASK_QUEUE`,
    };
  }
  const count = `${identities.length} worker${identities.length === 1 ? '' : 's'} polling task queue '${taskQueue}' (${identities.join(', ')})`;
  if (wf.pollers.length === 0 || act.pollers.length === 0) {
    const missing = wf.pollers.length === 0 ? 'workflow' : 'activity';
    return { name: 'worker', status: 'warn', reason: `${count}, but none takes ${missing} tasks` };
  }
  const lastSeen = Math.max(...pollers.map((p) => optionalTsToMs(p.lastAccessTime) ?? 0));
  const ageMs = Date.now() - lastSeen;
  if (lastSeen > 0 && ageMs > STALE_POLLER_MS) {
    return {
      name: 'worker',
      status: 'warn',
      reason: `${count}, but the last poll was ${Math.round(ageMs / 1000)}s ago: the worker may have stopped`,
    };
  }
  return { name: 'worker', status: 'ok', reason: count };
}

// ---------------------------------------------------------------------------------------------
// Mission Control

async function checkBackend(config: Config, fetchImpl: FetchFn, timeoutMs: number): Promise<DoctorCheck[]> {
  const { url, jwtSecret, jwtAlgorithm } = config.backend;
  const mc = new MissionControlClient(config.backend, { timeoutMs });
  const probe = { userId: config.script.userId ?? DEFAULT_PROBE_USER, role: PROBE_ROLE };

  let caps: Capabilities;
  try {
    caps = jwtSecret ? await mc.capabilities(probe) : await anonymousCapabilities(url, fetchImpl, timeoutMs);
  } catch (err) {
    if (isFailure(err, MissionControlError.Unauthorized)) {
      // A backend that guards capabilities too: reachable, and the token check below says why it refused.
      return [
        {
          name: 'backend',
          status: 'warn',
          reason: `reachable at ${url}, but it refused the capabilities probe (401)`,
        },
        { name: 'agent token', status: 'fail', reason: JWT_REJECTED, details: [errorMessage(err)] },
      ];
    }
    return [
      { name: 'backend', status: 'fail', reason: `not usable at ${url} (BACKEND_URL): ${errorMessage(err)}` },
      notChecked('agent token', 'backend not reachable'),
    ];
  }
  const features = Object.entries(caps.features)
    .filter(([, on]) => on === true)
    .map(([name]) => name);
  const backend: DoctorCheck =
    caps.contract_version === 'v1'
      ? {
          name: 'backend',
          status: 'ok',
          reason: `contract v1 at ${url}; features: ${features.join(', ') || 'none'}`,
        }
      : {
          name: 'backend',
          status: 'fail',
          reason: `${url} speaks Mission Control contract '${caps.contract_version}'; this runtime needs v1`,
        };

  if (!jwtSecret) {
    return [
      backend,
      {
        name: 'agent token',
        status: 'fail',
        reason: 'AGENT_JWT_SECRET is not set: the worker cannot sign agent tokens for the backend',
      },
    ];
  }
  try {
    await mc.listTasks(probe, { limit: 1 });
    return [
      backend,
      {
        name: 'agent token',
        status: 'ok',
        reason: `the backend accepted an ${jwtAlgorithm} agent token (read tasks as '${probe.userId}')`,
      },
    ];
  } catch (err) {
    if (isFailure(err, MissionControlError.Unauthorized)) {
      return [
        backend,
        { name: 'agent token', status: 'fail', reason: JWT_REJECTED, details: [backendText(err)] },
      ];
    }
    if (isFailure(err, MissionControlError.Forbidden)) {
      return [
        backend,
        {
          name: 'agent token',
          status: 'fail',
          reason: `the backend answered 403 to an authenticated read as user '${probe.userId}' (set USER_ID to a user it knows)`,
          details: [backendText(err)],
        },
      ];
    }
    return [
      backend,
      { name: 'agent token', status: 'fail', reason: `authenticated read failed: ${errorMessage(err)}` },
    ];
  }
}

/** Without AGENT_JWT_SECRET no token can be minted; the contract's capabilities probe may still answer. */
async function anonymousCapabilities(
  url: string,
  fetchImpl: FetchFn,
  timeoutMs: number,
): Promise<Capabilities> {
  let res: Response;
  try {
    res = await fetchImpl(`${url}/api/mission-control/capabilities`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new Error(`GET /api/mission-control/capabilities failed: ${describeFetchError(err)}`);
  }
  if (!res.ok)
    throw new Error(`GET /api/mission-control/capabilities answered ${res.status} without a token`);
  const parsed = capabilitiesSchema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) throw new Error('GET /api/mission-control/capabilities did not answer contract JSON');
  return parsed.data;
}

function isFailure(err: unknown, type: string): boolean {
  return err instanceof ApplicationFailure && err.type === type;
}

/** The backend's own words from a classified failure message, without our generic hint. */
function backendText(err: unknown): string {
  const message = errorMessage(err);
  return `backend said: ${message.replace(/ \(the backend rejected[^)]*\)$/, '')}`;
}

// ---------------------------------------------------------------------------------------------
// Model, API, workspace

async function checkModel(config: Config, fetchImpl: FetchFn, timeoutMs: number): Promise<DoctorCheck> {
  const { llm } = config;
  if (isDemoMode(llm)) {
    return {
      name: 'model',
      status: 'warn',
      reason:
        'demo mode: neither OPENAI_API_KEY nor OPENAI_BASE_URL is set, so turns answer from the offline demo model (not checked over the network)',
    };
  }
  const base = llm.baseUrl ?? OPENAI_DEFAULT_BASE_URL;
  let res: Response;
  try {
    res = await fetchImpl(`${base}/models`, {
      headers: llm.apiKey ? { authorization: `Bearer ${llm.apiKey}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return {
      name: 'model',
      status: 'fail',
      reason: `model endpoint ${base} not reachable: ${describeFetchError(err)}`,
    };
  }
  if (res.status === 401 || res.status === 403) {
    return {
      name: 'model',
      status: 'fail',
      reason: `model endpoint ${base} rejected OPENAI_API_KEY (${res.status})`,
    };
  }
  if (res.status === 404) {
    return {
      name: 'model',
      status: 'warn',
      reason: `model endpoint ${base} is reachable but has no /models, so '${llm.model}' could not be confirmed`,
    };
  }
  if (!res.ok) return { name: 'model', status: 'fail', reason: `GET ${base}/models answered ${res.status}` };
  const body = (await res.json().catch(() => undefined)) as { data?: { id?: unknown }[] } | undefined;
  const ids = Array.isArray(body?.data) ? body.data.map((m) => String(m.id)) : [];
  const wanted = [llm.model, llm.fallbackModel, llm.cheapModel].filter((m): m is string => Boolean(m));
  const unlisted = ids.length > 0 ? wanted.filter((m) => !ids.includes(m)) : [];
  if (unlisted.length > 0) {
    return {
      name: 'model',
      status: 'warn',
      reason: `model endpoint ${base} reachable, but it does not list ${unlisted.map((m) => `'${m}'`).join(', ')} among its ${ids.length} models`,
    };
  }
  return {
    name: 'model',
    status: 'ok',
    reason: `model endpoint ${base} reachable; '${llm.model}' ${ids.length > 0 ? 'listed' : 'configured'}`,
  };
}

async function checkApi(
  config: Config,
  api: string | undefined,
  fetchImpl: FetchFn,
  timeoutMs: number,
): Promise<DoctorCheck> {
  const target = apiTarget(config, api, fetchImpl);
  try {
    // Not a turn id, so the API answers 404 without asking Temporal: proof that the daemon key passed.
    const res = await callApi(target, 'GET', '/api/agents/turns/clasper-doctor-probe', {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status === 401) {
      return {
        name: 'api',
        status: 'fail',
        reason: `the API at ${target.baseUrl} requires X-Agent-Daemon-Key: set AGENT_DAEMON_API_KEY to the API's key`,
      };
    }
    if (res.status === 403) {
      return {
        name: 'api',
        status: 'fail',
        reason: `the API at ${target.baseUrl} rejected AGENT_DAEMON_API_KEY`,
      };
    }
    if (res.status >= 500)
      return { name: 'api', status: 'fail', reason: `the API at ${target.baseUrl} answered ${res.status}` };
    return {
      name: 'api',
      status: 'ok',
      reason: `API at ${target.baseUrl}${target.daemonKey ? ' accepted the daemon key' : ' answers'}`,
    };
  } catch {
    return {
      name: 'api',
      status: 'warn',
      reason: `no API at ${target.baseUrl}: clasper send needs it (npm run api, or pass --api <url>)`,
    };
  }
}

async function checkWorkspace(config: Config, env: Record<string, string | undefined>): Promise<DoctorCheck> {
  try {
    const check = await createWorkspace({
      root: path.resolve(config.agent.workspace),
      env,
      defaultTimezone: config.agent.defaultTimezone,
      includeTimeContext: config.agent.includeTimeContext,
    }).checkWorkspace();
    if (!check.ok) {
      return {
        name: 'workspace',
        status: 'fail',
        reason: `${check.root}: ${check.errors.length} error${check.errors.length === 1 ? '' : 's'} (clasper workspace check shows all)`,
        details: check.errors.slice(0, 5),
      };
    }
    const enabled = check.skills.filter((s) => s.enabled).length;
    return {
      name: 'workspace',
      status: 'ok',
      reason: `${check.root}: roles ${check.roles.join(', ') || '(none)'}; ${enabled} of ${check.skills.length} skills enabled here`,
    };
  } catch (err) {
    return { name: 'workspace', status: 'fail', reason: errorMessage(err) };
  }
}

function notChecked(name: string, why: string): DoctorCheck {
  return { name, status: 'warn', reason: `not checked: ${why}` };
}

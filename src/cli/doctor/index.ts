/**
 * `clasper doctor`: is this installation able to run a turn? Checks, each ok / warn / fail with
 * a one-line reason: the configuration parses; payload encryption is on (a warning when off in
 * production); Temporal answers for the namespace; a worker polls
 * the task queue; the backend is reachable and speaks contract v1; the backend ACCEPTS our agent
 * JWT (an authenticated read, not just the open capabilities probe); the model endpoint answers
 * with our key, answers a completion in time, honours tools and fits the prompt; the API answers with our daemon key; the workspace checks out; notification dispatch runs, or why not. Exit 1 if any fail.
 * One module per check, each over the project's own clients.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../../config';
import type { FetchFn } from '../http';
import { printJson, type Out, type Printer } from '../output';
import { checkApi } from './api';
import { checkBackend } from './backend';
import { checkDispatcher } from './dispatcher';
import type { DoctorCheck } from './check';
import { checkModel } from './model';
import { checkTemporal } from './temporal';
import { checkWorkspace } from './workspace';
import { payloadProtection } from '../../clients/temporal/payload-codec';

export type { CheckStatus, DoctorCheck } from './check';
export { JWT_REJECTED } from './backend';

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
  /** For the API probe. */
  fetch?: FetchFn;
  /** Environment for workspace skill gating. */
  env?: Record<string, string | undefined>;
  /** Per-probe timeout; default 5000 ms. */
  timeoutMs?: number;
  /** The dispatcher schedule to read; tests use their own. Default `clasper-dispatcher`. */
  dispatcherScheduleId?: string;
}

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
  const [temporalChecks, backendChecks, model, api, workspace, dispatcher] = await Promise.all([
    checkTemporal(config, deps.client, timeoutMs),
    checkBackend(config, timeoutMs),
    checkModel(config, timeoutMs, deps.env ?? {}),
    checkApi(config, opts.api, fetchImpl, timeoutMs),
    checkWorkspace(config, deps.env ?? {}),
    checkDispatcher(config, deps.client, timeoutMs, deps.dispatcherScheduleId),
  ]);
  return [
    { name: 'config', status: 'ok', reason: 'environment is valid' },
    checkPayloadEncryption(config),
    ...temporalChecks,
    ...backendChecks,
    ...model,
    api,
    workspace,
    dispatcher,
  ];
}

/** On: which key seals. Off: fine in development, a warning in production. */
export function checkPayloadEncryption(config: Config): DoctorCheck {
  const state = payloadProtection(config);
  if (state.warning) return { name: 'payload encryption', status: 'warn', reason: state.warning };
  return {
    name: 'payload encryption',
    status: 'ok',
    reason: state.encrypting ? state.line : `${state.line} (fine in development)`,
  };
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

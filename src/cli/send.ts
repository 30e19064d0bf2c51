/**
 * `clasper send`: one agent turn through the runtime's HTTP API (POST /api/agents/send). Waits for
 * the reply; when the API hands back 202 (the turn outlived CLASPER_SEND_TIMEOUT_SEC) it polls the
 * turn resource until the turn is done. The reply goes to stdout (so it pipes); the turn id to
 * stderr, so `clasper turns show` can follow up on it.
 */
import type { Config } from '../config';
import { makeSessionKey, parseSessionKey } from '../shared/ids';
import { apiErrorText, apiTarget, callApi, type ApiTarget, type FetchFn } from './http';
import { fail, printJson, printLine, startSpinner, type Out, type Printer } from './output';

export interface SendOptions {
  message?: string;
  user?: string;
  role?: string;
  sessionKey?: string;
  taskTitle?: string;
  taskId?: string;
  /** Base URL of the API; default http://localhost:$CLASPER_PORT. */
  api?: string;
  json?: boolean;
  /** false: start the turn and print its id without waiting (202). Default true. */
  wait?: boolean;
  /** Sent as the Idempotency-Key header: the same key returns the same turn instead of running again. */
  idempotencyKey?: string;
  /** Give up waiting (the turn keeps running) after this many seconds; default 600. */
  timeoutSec?: number;
}

export interface SendDeps {
  config: Config;
  out: Out;
  fetch?: FetchFn;
  /** Reads the message when none is given as an argument (index passes one when stdin is piped). */
  readStdin?: () => Promise<string>;
  /** How often a 202'd turn is polled; default 1000 ms. */
  pollIntervalMs?: number;
}

export const DEFAULT_SEND_TIMEOUT_SEC = 600;

interface TurnResult {
  turn_id: string;
  response: string;
  capped?: boolean;
  context_warning?: string;
  [key: string]: unknown;
}

export async function runSend(opts: SendOptions, deps: SendDeps): Promise<number> {
  const p: Printer = { out: deps.out, json: opts.json === true };
  const session = resolveSession(opts, deps.config);
  if ('error' in session) return fail(p, session.error);

  let message = opts.message;
  if (message === undefined && deps.readStdin) message = (await deps.readStdin()).replace(/\r?\n$/, '');
  if (message === undefined || message.trim() === '') {
    return fail(p, 'no message: pass it as an argument (clasper send "Hello") or pipe it on stdin');
  }

  const target = apiTarget(deps.config, opts.api, deps.fetch);
  const body = {
    user_id: session.userId,
    session_key: session.sessionKey,
    message,
    ...(opts.taskId ? { task_id: opts.taskId } : {}),
    ...(opts.taskTitle ? { task_title: opts.taskTitle } : {}),
  };
  const headers: Record<string, string> = opts.idempotencyKey
    ? { 'idempotency-key': opts.idempotencyKey }
    : {};
  const wait = opts.wait !== false;
  const timeoutSec = opts.timeoutSec ?? DEFAULT_SEND_TIMEOUT_SEC;
  const deadline = Date.now() + timeoutSec * 1000;

  const spinner = wait ? startSpinner(p, `waiting for ${session.sessionKey}…`) : { stop: () => undefined };
  try {
    const res = await callApi(target, 'POST', `/api/agents/send${wait ? '' : '?wait=false'}`, {
      body,
      headers,
      signal: AbortSignal.timeout(timeoutSec * 1000),
    }).catch((err: unknown) => {
      if (err instanceof Error && /no answer in time/.test(err.message)) {
        throw new Error(`the API gave no answer within ${timeoutSec}s (--timeout)`);
      }
      throw err;
    });
    if (res.status === 200) {
      spinner.stop();
      return printResult(p, res.body as TurnResult);
    }
    if (res.status !== 202) {
      spinner.stop();
      const turnId = turnIdOf(res.body);
      printTurnId(p, turnId);
      return fail(p, apiErrorText(res), undefined, turnId ? { turn_id: turnId } : {});
    }
    const accepted = res.body as { turn_id: string; status_url: string };
    if (!wait) {
      if (p.json) printJson(p.out, accepted);
      else
        printLine(
          p.out,
          `turn ${accepted.turn_id} started; follow it with: clasper turns show ${accepted.turn_id}`,
        );
      return 0;
    }
    const outcome = await pollTurn(target, accepted, deadline, deps.pollIntervalMs ?? 1000);
    spinner.stop();
    if (outcome.kind === 'completed') return printResult(p, outcome.result);
    printTurnId(p, accepted.turn_id);
    if (outcome.kind === 'still-running') {
      return fail(
        p,
        `turn ${accepted.turn_id} is still running after ${timeoutSec}s; check it later with: clasper turns show ${accepted.turn_id}`,
        undefined,
        { turn_id: accepted.turn_id, status: 'running' },
      );
    }
    return fail(p, outcome.error, undefined, { turn_id: accepted.turn_id, status: outcome.status });
  } catch (err) {
    spinner.stop();
    return fail(p, err instanceof Error ? err.message : String(err));
  }
}

function resolveSession(
  opts: SendOptions,
  config: Config,
): { userId: string; sessionKey: string } | { error: string } {
  if (opts.sessionKey) {
    const parsed = parseSessionKey(opts.sessionKey);
    if (!parsed)
      return { error: `--session-key must look like user:<user_id>:<role>, got '${opts.sessionKey}'` };
    if (opts.user && opts.user !== parsed.userId) {
      return { error: `--user '${opts.user}' does not match the session key's user '${parsed.userId}'` };
    }
    if (opts.role && opts.role !== parsed.role) {
      return { error: `--role '${opts.role}' does not match the session key's role '${parsed.role}'` };
    }
    return { userId: parsed.userId, sessionKey: opts.sessionKey };
  }
  const userId = opts.user ?? config.script.userId;
  if (!userId)
    return { error: 'no user: pass --user <id> (or --session-key user:<id>:<role>, or set USER_ID)' };
  const role = opts.role ?? config.script.agentRole;
  return { userId, sessionKey: makeSessionKey(userId, role) };
}

type PollOutcome =
  | { kind: 'completed'; result: TurnResult }
  | { kind: 'ended'; status: string; error: string }
  | { kind: 'still-running' };

async function pollTurn(
  target: ApiTarget,
  accepted: { turn_id: string; status_url: string },
  deadline: number,
  intervalMs: number,
): Promise<PollOutcome> {
  const path = accepted.status_url || `/api/agents/turns/${encodeURIComponent(accepted.turn_id)}`;
  for (;;) {
    const res = await callApi(target, 'GET', path);
    if (res.status !== 200) return { kind: 'ended', status: 'unknown', error: apiErrorText(res) };
    const turn = res.body as { status: string; result?: TurnResult; error?: string };
    if (turn.status === 'completed' && turn.result) return { kind: 'completed', result: turn.result };
    if (turn.status !== 'running') {
      return {
        kind: 'ended',
        status: turn.status,
        error: `turn ${accepted.turn_id} ${turn.status}: ${turn.error ?? 'no error given'}`,
      };
    }
    if (Date.now() + intervalMs > deadline) return { kind: 'still-running' };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function printResult(p: Printer, result: TurnResult): number {
  if (p.json) {
    printJson(p.out, result);
    return 0;
  }
  printLine(p.out, result.response);
  printTurnId(p, result.turn_id);
  if (result.capped)
    p.out.stderr('note: the turn hit the tool-iteration cap (CLASPER_MAX_TOOL_ITERATIONS)\n');
  if (result.context_warning) p.out.stderr(`warning: ${result.context_warning}\n`);
  return 0;
}

/** Human mode only: JSON output carries `turn_id` in its object. */
function printTurnId(p: Printer, turnId: string | undefined): void {
  if (!p.json && turnId) p.out.stderr(`turn ${turnId}\n`);
}

function turnIdOf(body: unknown): string | undefined {
  return body && typeof body === 'object' && 'turn_id' in body && typeof body.turn_id === 'string'
    ? body.turn_id
    : undefined;
}

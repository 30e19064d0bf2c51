/**
 * Driving turns: a durable turn is one `POST /api/agents/send` (wait for the reply) to an API
 * process over real HTTP; a baseline turn is one call of the in-process baseline. Both get the
 * same message, so the bench model answers both the same way.
 */
import type { Config } from '../../src/config';
import { makeSessionKey } from '../../src/shared/ids';
import { createBaseline } from './baseline';
import { benchMessage, type TurnShape } from './fake-model';

/** Users the load is spread over (JWTs and backend scopes per user, as in production). */
const USERS = 8;
export const BENCH_ROLE = 'lead';
export const BENCH_TASK = 'Bench thread';
export const REQUEST_TIMEOUT_MS = 60_000;

export type TurnRunner = (i: number) => Promise<void>;

/** The user turn `i` runs as. */
export function turnUserId(i: number): string {
  return `bench-${i % USERS}`;
}

/** The send / stream request body of turn `i`. */
export function turnBody(i: number, message: string): Record<string, string> {
  const userId = turnUserId(i);
  return {
    user_id: userId,
    session_key: makeSessionKey(userId, BENCH_ROLE),
    message,
    task_title: BENCH_TASK,
  };
}

export function durableTurn(apiUrl: string, shape: TurnShape, label: string): TurnRunner {
  const message = benchMessage(shape);
  return sendTurn(apiUrl, () => message, label);
}

/** A durable turn whose message may differ per turn (`bench-stream` ids); idempotency key `<label>-<i>`. */
export function sendTurn(apiUrl: string, message: (i: number) => string, label: string): TurnRunner {
  return async (i) => {
    const res = await fetch(`${apiUrl}/api/agents/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `${label}-${i}` },
      body: JSON.stringify(turnBody(i, message(i))),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await res.json()) as { status?: string; error?: string };
    if (res.status !== 200 || body.status !== 'ok') {
      throw new Error(`send answered ${res.status}: ${body.error ?? JSON.stringify(body).slice(0, 200)}`);
    }
  };
}

export function baselineTurn(config: Config, shape: TurnShape): TurnRunner {
  const run = createBaseline(config);
  const message = benchMessage(shape);
  return async (i) => {
    await run({
      userId: turnUserId(i),
      role: BENCH_ROLE,
      message,
      taskTitle: BENCH_TASK,
      maxToolIterations: config.agent.maxToolIterations,
    });
  };
}

/** A unique label per run, so idempotency keys (turn ids) never collide across runs. */
let runCounter = 0;
export function runLabel(prefix: string): string {
  runCounter += 1;
  return `${prefix}-${Date.now().toString(36)}-${runCounter}`;
}

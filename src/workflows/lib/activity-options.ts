/**
 * The activity option profiles workflows share, each with its reason. A workflow declares its
 * proxies with these; anything unusual (the dispatcher's short poll, the ack's long retry) stays
 * beside the workflow that needs it. Every profile is bounded: no activity retries forever.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { HEARTBEAT_TIMEOUT } from './liveness';

/** Backend calls: the client times out at 30 s; retries back off to 30 s and give up after 10 min,
 * so a dead backend fails the workflow visibly instead of hanging it. */
export const BACKEND_CALLS: ActivityOptions = {
  startToCloseTimeout: '45s',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
};

/** Tools act on the backend on the model's behalf; fewer attempts, since a failure goes back to the model. */
export const TOOL_CALLS: ActivityOptions = {
  startToCloseTimeout: '45s',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
};

/** Webhooks go to the caller's server: a few minutes of retries, and a failure never fails the turn. */
export const WEBHOOK_CALLS: ActivityOptions = {
  startToCloseTimeout: '15s',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '60s', maximumAttempts: 8 },
};

/** Reading local markdown is fast; a few attempts cover a file caught mid-write. */
export const LOCAL_READS: ActivityOptions = {
  startToCloseTimeout: '30s',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '500ms', maximumAttempts: 3 },
};

/**
 * Local activities run inside the workflow task on the worker that holds the turn: no task
 * round trip and only a marker in history. For steps that are cheap and safe to re-run (a keyed
 * find-or-create, a read, a keyed post); a worker that dies mid-step has the whole workflow task
 * retried elsewhere, which re-runs them. Local activities do not heartbeat (the workflow task
 * does), so these profiles carry no heartbeat timeout. Same bounds as their regular twins.
 */
export const LOCAL_BACKEND_STEPS: LocalActivityOptions = {
  startToCloseTimeout: BACKEND_CALLS.startToCloseTimeout,
  scheduleToCloseTimeout: BACKEND_CALLS.scheduleToCloseTimeout,
  retry: BACKEND_CALLS.retry,
};

export const LOCAL_STEPS: LocalActivityOptions = {
  startToCloseTimeout: LOCAL_READS.startToCloseTimeout,
  retry: LOCAL_READS.retry,
};

/** First retry of a model call; AgentTurn lets tests shorten it (AgentTurnInput.timings). */
export const MODEL_RETRY_INITIAL_MS = 2_000;

/**
 * Model calls: the client times out each request (LLM_REQUEST_TIMEOUT_SEC, 60 s by default, at most
 * 540 s for a slow local model); five attempts (then, in a turn, the fallback model). The
 * start-to-close only has to stay above the longest request timeout: a dead worker is noticed by
 * the heartbeat timeout, a hung request by the client's own timeout.
 */
export function modelCalls(initialIntervalMs: number = MODEL_RETRY_INITIAL_MS): ActivityOptions {
  return {
    startToCloseTimeout: '10m',
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    scheduleToCloseTimeout: '10m',
    retry: {
      initialInterval: initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: '60s',
      maximumAttempts: 5,
    },
  };
}

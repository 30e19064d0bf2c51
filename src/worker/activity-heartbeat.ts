/**
 * Every activity heartbeats while it runs. Without heartbeats Temporal learns that a worker died
 * (SIGKILL, OOM kill, a lost node) only when the activity's start-to-close timeout expires — up
 * to 10 min for a model call, during which the turn just waits. With a `heartbeatTimeout` on the
 * workflow's activity options (HEARTBEAT_TIMEOUT in workflows/lib/liveness.ts) the attempt is
 * retried on another worker within that timeout instead. Heartbeats are also the only way a
 * cancellation reaches a running activity, so a cancelled turn now aborts its HTTP calls.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { SELF_HEARTBEATING_ACTIVITIES } from '../activities';

/** Well inside any heartbeat timeout we set; Core batches them, so calling often is cheap. */
export const HEARTBEAT_EVERY_MS = 2_000;

export const heartbeatWhileRunning: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      // A local activity runs inside a workflow task, which the SDK keeps alive itself.
      if (ctx.info.isLocal) return next(input);
      // These report progress in their heartbeat details; an empty heartbeat would erase them.
      if (SELF_HEARTBEATING_ACTIVITIES.has(ctx.info.activityType)) return next(input);
      // No heartbeat at the start: the heartbeat timeout counts from the attempt's start anyway,
      // and Core sends a task's first heartbeat to the server at once — a persisted history update
      // per activity. An activity shorter than HEARTBEAT_EVERY_MS (most backend calls and short
      // model calls) now sends none; a longer one heartbeats every HEARTBEAT_EVERY_MS as before.
      const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        return await next(input);
      } finally {
        clearInterval(timer);
      }
    },
  },
});

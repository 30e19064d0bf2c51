/**
 * Every activity heartbeats while it runs. Without heartbeats Temporal learns that a worker died
 * (SIGKILL, OOM kill, a lost node) only when the activity's start-to-close timeout expires — up
 * to 10 min for a model call, during which the turn just waits. With a `heartbeatTimeout` on the
 * workflow's activity options (HEARTBEAT_TIMEOUT in workflows/lib/liveness.ts) the attempt is
 * retried on another worker within that timeout instead. Heartbeats are also the only way a
 * cancellation reaches a running activity, so a cancelled turn now aborts its HTTP calls.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** Well inside any heartbeat timeout we set; Core batches them, so calling often is cheap. */
export const HEARTBEAT_EVERY_MS = 2_000;

export const heartbeatWhileRunning: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      // A local activity runs inside a workflow task, which the SDK keeps alive itself.
      if (ctx.info.isLocal) return next(input);
      ctx.heartbeat();
      const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        return await next(input);
      } finally {
        clearInterval(timer);
      }
    },
  },
});

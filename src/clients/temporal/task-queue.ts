/**
 * Who polls a task queue: each worker's identity and last poll, on the workflow and on the
 * activity side. GET /health?deep=true and `clasper doctor` read it, each with its own verdict.
 */
import type { Client } from '@temporalio/client';
import type { Timestamp } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * A live worker long-polls each task queue for up to a minute at a time, refreshing its last
 * access each time; one not seen for two minutes is gone. (The server keeps stale pollers listed
 * for a few minutes, so the timestamp matters, not just the list.)
 */
export const POLLER_FRESH_MS = 2 * 60_000;

export interface Poller {
  identity?: string;
  /** Epoch ms of the last poll; 0 when the server did not say. */
  lastAccessMs: number;
}

export interface TaskQueuePollers {
  workflow: Poller[];
  activity: Poller[];
}

/** Both sides of the queue, each call bounded by `timeoutMs`. */
export async function describePollers(
  client: Client,
  opts: { namespace: string; taskQueue: string; timeoutMs: number },
): Promise<TaskQueuePollers> {
  const { TaskQueueKind, TaskQueueType } = temporal.api.enums.v1;
  const describe = async (taskQueueType: temporal.api.enums.v1.TaskQueueType): Promise<Poller[]> => {
    const res = await client.withDeadline(Date.now() + opts.timeoutMs, () =>
      client.workflowService.describeTaskQueue({
        namespace: opts.namespace,
        taskQueue: { name: opts.taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType,
      }),
    );
    return (res.pollers ?? []).map((p) => ({
      ...(p.identity != null ? { identity: p.identity } : {}),
      lastAccessMs: timestampMs(p.lastAccessTime),
    }));
  };
  const [workflow, activity] = await Promise.all([
    describe(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
    describe(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
  ]);
  return { workflow, activity };
}

function timestampMs(ts: Timestamp | null | undefined): number {
  if (!ts) return 0;
  return Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

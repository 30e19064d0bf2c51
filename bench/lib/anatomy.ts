/**
 * Where a durable turn's wall time goes, read from its workflow history's server timestamps:
 * waiting for a worker to pick up each workflow task, running the workflow code, running the
 * activities (model vs the rest), and what is left for the API, the client and the result hand-off.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const E = temporal.api.enums.v1.EventType;

export interface Anatomy {
  /** Workflow tasks per turn. */
  workflowTasks: number;
  activities: number;
  /** ms per turn, summed over its workflow tasks / activities. */
  wftQueueMs: number;
  wftRunMs: number;
  modelMs: number;
  otherActivityMs: number;
  /** First to last history event. */
  serverSpanMs: number;
}

function ms(e: temporal.api.history.v1.IHistoryEvent): number {
  return Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
}

export async function turnAnatomy(client: Client, workflowId: string): Promise<Anatomy> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const byId = new Map<number, temporal.api.history.v1.IHistoryEvent>();
  for (const e of events) byId.set(Number(e.eventId), e);
  const a: Anatomy = {
    workflowTasks: 0,
    activities: 0,
    wftQueueMs: 0,
    wftRunMs: 0,
    modelMs: 0,
    otherActivityMs: 0,
    serverSpanMs: 0,
  };
  for (const e of events) {
    if (e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_STARTED) {
      const scheduled = byId.get(Number(e.workflowTaskStartedEventAttributes?.scheduledEventId));
      if (scheduled) a.wftQueueMs += ms(e) - ms(scheduled);
      a.workflowTasks += 1;
    }
    if (e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
      const started = byId.get(Number(e.workflowTaskCompletedEventAttributes?.startedEventId));
      if (started) a.wftRunMs += ms(e) - ms(started);
    }
    if (e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
      const scheduled = byId.get(Number(e.activityTaskCompletedEventAttributes?.scheduledEventId));
      const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name;
      const d = scheduled ? ms(e) - ms(scheduled) : 0;
      if (type === 'callModel') a.modelMs += d;
      else a.otherActivityMs += d;
      a.activities += 1;
    }
  }
  const first = events[0];
  const last = events[events.length - 1];
  if (first && last) a.serverSpanMs = ms(last) - ms(first);
  return a;
}

export function meanAnatomy(list: Anatomy[]): Anatomy {
  const n = Math.max(1, list.length);
  const sum = (k: keyof Anatomy) => list.reduce((s, x) => s + x[k], 0) / n;
  return {
    workflowTasks: sum('workflowTasks'),
    activities: sum('activities'),
    wftQueueMs: sum('wftQueueMs'),
    wftRunMs: sum('wftRunMs'),
    modelMs: sum('modelMs'),
    otherActivityMs: sum('otherActivityMs'),
    serverSpanMs: sum('serverSpanMs'),
  };
}

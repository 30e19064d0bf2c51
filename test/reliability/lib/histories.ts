/**
 * Reading what Temporal recorded: every history of a scenario, as text for the secret scan and as
 * events for the structural checks ("every activity had a bounded retry policy", "no workflow task
 * ever failed").
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { scanText, type NamedSecret, type SecretFinding } from './secrets';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

const { EventType } = temporal.api.enums.v1;

export interface RecordedHistory {
  workflowId: string;
  history: History;
}

export async function fetchHistories(client: Client, workflowIds: string[]): Promise<RecordedHistory[]> {
  const out: RecordedHistory[] = [];
  // A few at a time: fetching hundreds at once only queues on a 2-core box.
  for (let i = 0; i < workflowIds.length; i += 8) {
    const batch = workflowIds.slice(i, i + 8);
    out.push(
      ...(await Promise.all(
        batch.map(async (workflowId) => ({
          workflowId,
          history: await client.workflow.getHandle(workflowId).fetchHistory(),
        })),
      )),
    );
  }
  return out;
}

/** Every workflow on the task queue (visibility), for the scan of "all histories". */
export async function workflowIdsOnQueue(client: Client, taskQueue: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` }))
    ids.push(wf.workflowId);
  return ids;
}

/**
 * A history as text the way an operator could see it: the protobuf JSON (payloads base64) plus
 * every payload decoded as UTF-8.
 */
export function historyAsText(history: History): string {
  const decoded: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) decoded.push(Buffer.from(value).toString('utf8'));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(history);
  const json = JSON.stringify(history, (_k, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
  );
  return `${json}\n${decoded.join('\n')}`;
}

export function scanHistories(histories: RecordedHistory[], secrets: NamedSecret[]): SecretFinding[] {
  return histories.flatMap((h) => scanText(`history ${h.workflowId}`, historyAsText(h.history), secrets));
}

function seconds(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!d) return 0;
  return Number(d.seconds ?? 0) + (d.nanos ?? 0) / 1e9;
}

/**
 * Activities scheduled without a bound: neither a maximum attempt count nor a schedule-to-close
 * timeout, i.e. retried forever. One line per offending activity.
 */
export function unboundedActivities(histories: RecordedHistory[]): string[] {
  const problems: string[] = [];
  for (const { workflowId, history } of histories) {
    for (const e of history.events ?? []) {
      const a = e.activityTaskScheduledEventAttributes;
      if (!a) continue;
      const attempts = a.retryPolicy?.maximumAttempts ?? 0;
      const scheduleToClose = seconds(a.scheduleToCloseTimeout);
      if (attempts <= 0 && scheduleToClose <= 0) {
        problems.push(`${workflowId}: activity ${a.activityType?.name} (${a.activityId}) may retry forever`);
      }
    }
  }
  return problems;
}

/** Workflow tasks that failed (non-determinism, a bug in workflow code): one line each. */
export function failedWorkflowTasks(histories: RecordedHistory[]): string[] {
  return histories.flatMap(({ workflowId, history }) =>
    (history.events ?? [])
      .filter((e: HistoryEvent) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
      .map(
        (e) =>
          `${workflowId}: workflow task failed: ${e.workflowTaskFailedEventAttributes?.failure?.message ?? '?'}`,
      ),
  );
}

/** Attempts per activity type over all histories (from the completed/failed events' attempt count). */
export function activityAttempts(histories: RecordedHistory[]): Map<string, number> {
  const byType = new Map<string, number>();
  for (const { history } of histories) {
    const events = history.events ?? [];
    const typeOf = new Map<string, string>();
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) typeOf.set(String(e.eventId), s.activityType?.name ?? '?');
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        const type = typeOf.get(String(started.scheduledEventId)) ?? '?';
        byType.set(type, (byType.get(type) ?? 0) + (started.attempt ?? 1));
      }
    }
  }
  return byType;
}

/** The message of a failed workflow's terminal event, as the UI shows it (outermost to root cause). */
export function failureChain(history: History): string[] {
  const failed = (history.events ?? []).find((e) => e.workflowExecutionFailedEventAttributes);
  const chain: string[] = [];
  let f = failed?.workflowExecutionFailedEventAttributes?.failure;
  while (f) {
    chain.push(f.message ?? '');
    f = f.cause;
  }
  return chain;
}

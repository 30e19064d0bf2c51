/**
 * Shared pieces of the schedule tests: one real stack per file, running a schedule's action now
 * and waiting for the workflow it started (trigger + describe().info.recentActions, never the wall
 * clock), polling helpers, and cleanup of every schedule a file creates. Schedule ids are unique
 * per file (unique users, a unique dispatcher id) because the dev server is shared.
 */
import crypto from 'node:crypto';
import type { Client, ScheduleHandle } from '@temporalio/client';
import type { RecordedRequest } from '../../support/fake-openai';
import { mintAgentToken } from '../../../src/clients/mission-control/jwt';
import { startStack, TEST_JWT_SECRET, type Stack, type StackOptions } from '../../support/stack';

export function useScheduleStack(opts: StackOptions = {}): () => Stack {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack(opts);
  });
  afterEach(() => {
    stack?.llm.reset();
  });
  afterAll(async () => {
    if (stack) await deleteSchedules(stack.client, trackedSchedules.splice(0));
    await stack?.stop();
    stack = undefined;
  });
  return () => {
    if (!stack) throw new Error('the stack starts in beforeAll; use it inside tests');
    return stack;
  };
}

/** Schedules a test created; deleted in afterAll so they stop firing on the shared server. */
const trackedSchedules: string[] = [];
export function trackSchedule(id: string): string {
  trackedSchedules.push(id);
  return id;
}

async function deleteSchedules(client: Client, ids: string[]): Promise<void> {
  for (const id of new Set(ids))
    await client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
}

export function uniqueUser(prefix = 'u'): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  { timeoutMs = 20_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Run ids of the schedule's recent actions, to tell a new run from old ones. */
export async function recentRunIds(handle: ScheduleHandle): Promise<Set<string>> {
  return new Set(
    (await handle.describe()).info.recentActions.map((a) => a.action.workflow.firstExecutionRunId),
  );
}

/**
 * The first run of the schedule not in `before`. Runs are told apart by run id: the server names a
 * run `<id>-<time to the second>`, so two triggers within one second reuse a workflow id.
 */
export function newRun(
  handle: ScheduleHandle,
  before: Set<string>,
): Promise<{ workflowId: string; runId: string }> {
  return waitFor(`a new action of schedule ${handle.scheduleId}`, async () => {
    const fresh = (await handle.describe()).info.recentActions.find(
      (a) => !before.has(a.action.workflow.firstExecutionRunId),
    );
    return fresh
      ? { workflowId: fresh.action.workflow.workflowId, runId: fresh.action.workflow.firstExecutionRunId }
      : undefined;
  });
}

/** Runs the schedule's action now and returns the workflow that run started. */
export async function triggerAndFindRun(
  handle: ScheduleHandle,
): Promise<{ workflowId: string; runId: string }> {
  const before = await recentRunIds(handle);
  await handle.trigger();
  return newRun(handle, before);
}

/** Triggers the schedule and waits for that run's result. */
export async function triggerAndAwait<T = unknown>(
  client: Client,
  handle: ScheduleHandle,
): Promise<{ workflowId: string; result: T }> {
  const { workflowId, runId } = await triggerAndFindRun(handle);
  const result = (await client.workflow.getHandle(workflowId, runId).result()) as T;
  return { workflowId, result };
}

/** Enqueues a notification on the stack's backend; `unchecked` stores it as sent (malformed on purpose). */
export async function enqueueNotification(
  stack: Stack,
  body: Record<string, unknown>,
  opts: { unchecked?: boolean } = {},
): Promise<string> {
  const res = await stack.backend.internal(
    'POST',
    `/api/mission-control/notifications${opts.unchecked ? '?unchecked=true' : ''}`,
    body,
  );
  if (!res.ok) throw new Error(`enqueue failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { notification_id: string }).notification_id;
}

/** The text of the last user message the model was sent. */
export function lastUserText(req: RecordedRequest): string {
  const users = (req.body?.messages ?? []).filter((m) => m.role === 'user');
  const content = users[users.length - 1]?.content;
  return typeof content === 'string' ? content : JSON.stringify(content ?? '');
}

/** Calls the reference backend as an agent of `userId` (a freshly minted X-Agent-Token). */
export async function backendAsAgent(
  stack: Stack,
  userId: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  role = 'lead',
): Promise<Response> {
  const token = await mintAgentToken({
    secret: TEST_JWT_SECRET,
    algorithm: 'HS256',
    ttlSec: 300,
    userId,
    role,
  });
  return fetch(`${stack.backend.url}${path}`, {
    method,
    headers: { 'X-Agent-Token': token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
}

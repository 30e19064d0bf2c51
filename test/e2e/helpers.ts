/**
 * Shared pieces of the end-to-end suite: one stack per test file, the HTTP calls tests make, a
 * direct line to the reference backend with a minted agent JWT, and readers for workflow history.
 * Nothing here stands in for our code: it drives the real API, worker, backend and fake model.
 */
import type { LightMyRequestResponse } from 'fastify';
import { mintAgentToken } from '../../src/clients/mission-control/jwt';
import type { RecordedRequest } from '../support/fake-openai';
import { startStack, TEST_JWT_SECRET, type Stack, type StackOptions } from '../support/stack';

/**
 * Starts one stack for the file (beforeAll), stops it (afterAll), and after each test clears the
 * fake model's script and fails the test if the model got a call nobody scripted, or if the stack
 * was refused a workflow id that another test file uses (test/support/workflow-id-guard.ts).
 */
export function useStack(opts: StackOptions = {}): () => Stack {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack(opts);
  });
  afterEach(() => {
    if (!stack) return;
    const collisions = stack.idCollisions.splice(0);
    const unexpected = [...stack.llm.unexpectedCalls];
    stack.llm.reset();
    if (collisions.length > 0) throw new Error(collisions.join('\n'));
    if (unexpected.length > 0) {
      throw new Error(
        `fake OpenAI got unexpected call(s):\n${unexpected.map((c) => `  ${c.reason}`).join('\n')}`,
      );
    }
  });
  afterAll(async () => {
    await stack?.stop();
    stack = undefined;
  });
  return () => {
    if (!stack) throw new Error('the stack starts in beforeAll; use it inside tests');
    return stack;
  };
}

export interface SendOptions {
  headers?: Record<string, string>;
  query?: string;
}

export function send(stack: Stack, body: unknown, opts: SendOptions = {}): Promise<LightMyRequestResponse> {
  return stack.api.inject({
    method: 'POST',
    url: `/api/agents/send${opts.query ? `?${opts.query}` : ''}`,
    headers: opts.headers,
    payload: body as Record<string, unknown>,
  });
}

/** A fresh agent JWT for `userId`/`role`, exactly as the worker mints them, for direct backend calls. */
export function agentToken(userId: string, role = 'lead'): Promise<string> {
  return mintAgentToken({ secret: TEST_JWT_SECRET, algorithm: 'HS256', ttlSec: 300, userId, role });
}

/** Calls the reference backend as an agent of `userId` (X-Agent-Token), outside any turn. */
export async function backendAsAgent(
  stack: Stack,
  userId: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${stack.backend.url}${path}`, {
    method,
    headers: {
      'X-Agent-Token': await agentToken(userId),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json() };
}

/** Creates a task directly in the backend; returns its id. */
export async function createTask(stack: Stack, userId: string, title: string): Promise<string> {
  const res = await backendAsAgent(stack, userId, 'POST', '/api/mission-control/tasks', { title });
  if (res.status !== 200)
    throw new Error(`creating task '${title}' answered ${res.status}: ${JSON.stringify(res.json)}`);
  return String((res.json as { id: string | number }).id);
}

/** Messages of a chat-completions request the fake model received. */
export function messagesOf(
  req: RecordedRequest,
): { role: string; content?: unknown; tool_call_id?: string; tool_calls?: unknown }[] {
  return req.body?.messages ?? [];
}

/** The system prompt of a request the fake model received. */
export function systemPromptOf(req: RecordedRequest): string {
  const system = messagesOf(req).filter((m) => m.role === 'system');
  if (system.length !== 1) throw new Error(`expected one system message, got ${system.length}`);
  return String(system[0]?.content);
}

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<Stack['client']['workflow']['getHandle']>['fetchHistory']>>['events']
>[number];

export async function historyEvents(stack: Stack, workflowId: string): Promise<HistoryEvent[]> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  return history.events ?? [];
}

/**
 * Everything a turn's history holds, as text: the history as JSON (payload bytes as the base64 the
 * protobuf JSON form uses) followed by every payload's bytes decoded as UTF-8. A secret that is
 * in history in any form a UI or `temporal workflow show` would display appears in this text.
 */
export async function historyText(stack: Stack, workflowId: string): Promise<string> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const decoded: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) {
      decoded.push(Buffer.from(value).toString('utf8'));
      return;
    }
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(history);
  const json = JSON.stringify(history, (_key, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
  );
  return `${json}\n${decoded.join('\n')}`;
}

/** Decodes a JSON payload (`json/plain`) such as an event's `userMetadata.summary`. */
export function decodePayload(payload: { data?: Uint8Array | null } | null | undefined): unknown {
  if (!payload?.data) return undefined;
  return JSON.parse(Buffer.from(payload.data).toString('utf8'));
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

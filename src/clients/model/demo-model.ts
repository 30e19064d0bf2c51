/**
 * The offline demo model: what `callModel` answers when neither OPENAI_API_KEY nor OPENAI_BASE_URL
 * is set, so `make dev` shows a whole turn (tool calls included) without a network or a key.
 *
 * It is deliberately, visibly not an LLM: deterministic rules over the last user message, every
 * text answer starts with DEMO_BANNER. The rules, per turn (messages after the last user message):
 *  1. the message asks to create a task with a title ("create a task called 'X'") and
 *     `create_task` is offered → a `create_task` tool call;
 *  2. it asks to post/send a message or note, `post_message` is offered, and a task id is known
 *     from an earlier `create_task` result → a `post_message` tool call;
 *  3. it asks to announce or publish something with a quoted title and `publish_announcement` (a
 *     reference-backend tool that waits for a person's approval) is offered → that tool call;
 *  4. otherwise text: a summary of the tool results if there were any, else a 3-step plan.
 * A heartbeat checklist that names HEARTBEAT_OK is answered with exactly `HEARTBEAT_OK`, so a dev
 * setup's heartbeats stay quiet. Asked for JSON (POST /llm-task), it answers a value shaped by the
 * prompt's JSON Schema (demo-json.ts), or without one `{demo, note, answer}`.
 */
import type { CallModelInput, CallModelResult, ChatMessage, ToolCall } from '../../shared/types';
import { schemaShapedAnswer } from './demo-json';

export const DEMO_MODEL_NAME = 'clasper-demo';
export const DEMO_BANNER = '[offline demo model — set OPENAI_API_KEY or OPENAI_BASE_URL for a real LLM]';

const CREATE_TASK = /\bcreate\s+(?:a\s+|an\s+|the\s+|new\s+|a\s+new\s+)?task\b/i;
const POST_MESSAGE =
  /\b(?:post|send|leave|add|write)\s+(?:a\s+|an\s+|the\s+)?(?:short\s+)?(?:message|note|comment|update)\b/i;
/** "quoted", 'quoted', “quoted” or ‘quoted’ (apostrophes inside words do not open a quote). */
const QUOTED = /"([^"]+)"|“([^”]+)”|‘([^’]+)’|(?:^|[\s(:])'([^']+)'/;
const ANNOUNCE = /\b(?:announce|publish)\b/i;
const MAX_TOPIC_CHARS = 80;

export function demoCallModel(input: CallModelInput): CallModelResult {
  const { messages } = input;
  const offered = new Set((input.tools ?? []).map((t) => t.function.name));
  const lastUserIndex = findLastIndex(messages, (m) => m.role === 'user');
  const request = lastUserIndex >= 0 ? (messages[lastUserIndex] as { content: string }).content : '';
  const thisTurn = messages.slice(lastUserIndex + 1);
  const done = toolResults(thisTurn);
  const calledThisTurn = new Set(done.map((d) => d.name));
  const callNumber =
    messages.reduce((n, m) => n + (m.role === 'assistant' ? (m.tool_calls?.length ?? 0) : 0), 0) + 1;

  // Look for the title after the words that ask for the task, so a quoted note earlier in the message is not taken for it.
  const createAt = CREATE_TASK.exec(request)?.index;
  const title = createAt === undefined ? undefined : taskTitleIn(request.slice(createAt));
  if (title && offered.has('create_task') && !calledThisTurn.has('create_task')) {
    return toolCallResult(input, { id: `call_demo_${callNumber}`, name: 'create_task', args: { title } });
  }
  if (POST_MESSAGE.test(request) && offered.has('post_message') && !calledThisTurn.has('post_message')) {
    const taskId = latestCreatedTaskId(toolResults(messages));
    if (taskId !== undefined) {
      return toolCallResult(input, {
        id: `call_demo_${callNumber}`,
        name: 'post_message',
        args: { task_id: taskId, content: noteTextIn(request) },
      });
    }
  }

  const announceAt = ANNOUNCE.exec(request)?.index;
  const headline = announceAt === undefined ? undefined : firstQuoted(request.slice(announceAt));
  if (headline && offered.has('publish_announcement') && !calledThisTurn.has('publish_announcement')) {
    return toolCallResult(input, {
      id: `call_demo_${callNumber}`,
      name: 'publish_announcement',
      args: { title: headline.slice(0, 200), body: request.slice(0, 5000) },
    });
  }

  let text: string;
  if (/\bHEARTBEAT_OK\b/.test(request) && done.length === 0) text = 'HEARTBEAT_OK';
  else if (done.length > 0) text = `${DEMO_BANNER}\n${summary(done)}`;
  else text = `${DEMO_BANNER}\n${plan(request)}`;
  if (input.json)
    text = schemaShapedAnswer(messages) ?? JSON.stringify({ demo: true, note: DEMO_BANNER, answer: text });
  return result(input, text, []);
}

interface ToolResult {
  name: string;
  args: Record<string, unknown>;
  /** The parsed JSON result, or undefined when the result was an error sentence. */
  value: unknown;
  content: string;
}

/** Pairs each tool message with the assistant tool call it answers. */
function toolResults(messages: ChatMessage[]): ToolResult[] {
  const calls = new Map<string, ToolCall>();
  const out: ToolResult[] = [];
  for (const m of messages) {
    if (m.role === 'assistant') for (const c of m.tool_calls ?? []) calls.set(c.id, c);
    if (m.role === 'tool') {
      const call = calls.get(m.tool_call_id);
      out.push({
        name: call?.function.name ?? 'unknown_tool',
        args: parseObject(call?.function.arguments) ?? {},
        value: parseJson(m.content),
        content: m.content,
      });
    }
  }
  return out;
}

function latestCreatedTaskId(results: ToolResult[]): string | number | undefined {
  for (const r of [...results].reverse()) {
    if (r.name !== 'create_task') continue;
    const id = idIn(r.value);
    if (id !== undefined) return id;
  }
  return undefined;
}

/** A task result is `{id, ...}`; tolerate `{task: {id}}` and `{task_id}` wrappers too. */
function idIn(value: unknown): string | number | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  for (const candidate of [v.id, v.task_id, (v.task as Record<string, unknown> | undefined)?.id]) {
    if (typeof candidate === 'string' || typeof candidate === 'number') return candidate;
  }
  return undefined;
}

function taskTitleIn(request: string): string | undefined {
  const quoted = firstQuoted(request);
  if (quoted) return quoted;
  const named = /\b(?:called|titled|named)\s+(.+?)(?=\s+(?:and|then|with|to)\b|[.,;!?\n]|$)/i.exec(request);
  const title = named?.[1]?.trim();
  return title ? title : undefined;
}

/** The note's text: quoted text after "saying"/"that says"/":", else a line pointing back at the request. */
function noteTextIn(request: string): string {
  const after = /\b(?:saying|that says|which says|with the text|:)\s*(.+)$/is.exec(request)?.[1];
  if (after) return firstQuoted(after) ?? after.trim().replace(/[.!]$/, '');
  return `Note from the offline demo model about: ${topicOf(request)}`;
}

function firstQuoted(text: string): string | undefined {
  const m = QUOTED.exec(text);
  const value = m
    ?.slice(1)
    .find((g) => g !== undefined)
    ?.trim();
  return value ? value : undefined;
}

function summary(done: ToolResult[]): string {
  const lines = done.map((r) => {
    const id = idIn(r.value);
    const ok = r.value !== undefined && id !== undefined;
    if (r.name === 'create_task') {
      return ok
        ? `- Created task “${String(r.args.title)}” (id ${id}).`
        : `- Tried to create task “${String(r.args.title)}”, but it failed: ${shorten(r.content)}`;
    }
    if (r.name === 'post_message') {
      return ok
        ? `- Posted a message on task ${String(r.args.task_id)}.`
        : `- Tried to post a message, but it failed: ${shorten(r.content)}`;
    }
    return `- Ran ${r.name}: ${shorten(r.content)}`;
  });
  return `Here is what I did:\n${lines.join('\n')}`;
}

function plan(request: string): string {
  const topic = topicOf(request);
  if (!topic) return 'Send me a message and I will answer with a short plan.';
  return [
    `Plan for “${topic}”:`,
    `1. Clarify the goal, the audience and what “done” means for ${topic}.`,
    `2. Break ${topic} into small tasks and do the first one.`,
    '3. Review the result, post an update on the task and note the next step.',
  ].join('\n');
}

/** The request's first line, trimmed and shortened, without trailing punctuation. */
function topicOf(request: string): string {
  const firstLine = request.trim().split('\n')[0]?.trim() ?? '';
  const short =
    firstLine.length > MAX_TOPIC_CHARS ? `${firstLine.slice(0, MAX_TOPIC_CHARS).trimEnd()}…` : firstLine;
  return short.replace(/[.!?:;,]+$/, '');
}

function toolCallResult(
  input: CallModelInput,
  call: { id: string; name: string; args: Record<string, unknown> },
): CallModelResult {
  return result(input, null, [
    { id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args) } },
  ]);
}

function result(input: CallModelInput, content: string | null, toolCalls: ToolCall[]): CallModelResult {
  const promptChars = input.messages.reduce((n, m) => n + messageChars(m), 0);
  const completionChars =
    (content ?? '').length +
    toolCalls.reduce((n, c) => n + c.function.name.length + c.function.arguments.length, 0);
  const prompt = Math.ceil(promptChars / 4);
  const completion = Math.ceil(completionChars / 4);
  return {
    model: DEMO_MODEL_NAME,
    content,
    toolCalls,
    finishReason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    cost: null,
  };
}

function messageChars(m: ChatMessage): number {
  const calls =
    m.role === 'assistant'
      ? (m.tool_calls ?? []).reduce((n, c) => n + c.function.name.length + c.function.arguments.length, 0)
      : 0;
  return (m.content ?? '').length + calls;
}

function shorten(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  const v = text === undefined ? undefined : parseJson(text);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function findLastIndex<T>(items: T[], pred: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i] as T)) return i;
  return -1;
}

/**
 * A fake LLM that is faked only at the HTTP boundary: a real local HTTP server speaking the
 * OpenAI chat-completions API (plain JSON and SSE streaming) that the real `openai` client talks
 * to. Tests script its answers in order; every request is recorded so a test can assert on the
 * prompt, the model and the tools that were sent.
 *
 *   const fake = await startFakeOpenAI();
 *   fake.script({ text: 'Hello' }, { toolCalls: [{ name: 'create_task', arguments: { title: 'X' } }] });
 *   const client = fakeOpenAIClient(fake);
 *
 * When the script runs out (and no `respond` hook answers) the server answers 500 "fake OpenAI
 * script exhausted" and records the call in `unexpectedCalls`, so a test that made one call too
 * many can fail loudly instead of hanging on retries it cannot see.
 */
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';

export interface FakeToolCall {
  /** Generated (`call_<n>`) when omitted. */
  id?: string;
  name: string;
  /** An object is JSON-encoded; a string is sent verbatim (use it for malformed JSON). */
  arguments?: Record<string, unknown> | string;
}

export interface FakeUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

/** One scripted answer. Fields combine: `{ text, toolCalls }` answers with both. */
export interface FakeStep {
  text?: string;
  toolCalls?: FakeToolCall[];
  /** Shorthand for one tool call whose arguments are this exact string (e.g. '{not json'); `name` names it. */
  rawArguments?: string;
  name?: string;
  /** HTTP status; >= 400 answers with an OpenAI error body. */
  status?: number;
  /** Error message for the error body; a default per status when omitted. */
  error?: string;
  /** Error body's `type` / `code` (e.g. code 'insufficient_quota' on a 429). */
  errorType?: string;
  errorCode?: string;
  /** Sets `Retry-After: <seconds>` / `retry-after-ms: <ms>` headers. */
  retryAfterSec?: number;
  retryAfterMs?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Wait this long before answering (the client may time out meanwhile). */
  delayMs?: number;
  /** Streaming only: wait this long between chunks. */
  chunkDelayMs?: number;
  /** Streaming only: after this many chunks, send nothing more and hold the connection open (a stalled server). */
  stallAfterChunks?: number;
  /** Streaming only: called right after the first non-empty text delta is written (time to first token). */
  onFirstText?: () => void;
  /** Defaults to rough counts (characters / 4). */
  usage?: FakeUsage;
  /** Defaults to 'tool_calls' when the answer has tool calls, else 'stop'. */
  finishReason?: ChatCompletion.Choice['finish_reason'];
  /** The model named in the answer; defaults to echoing the request's model. */
  model?: string;
  /** Only a request for this model may consume the step; requests for other models skip past it. */
  onlyForModel?: string;
  /** Answer with this body verbatim (status defaults to 200); for malformed-response tests. */
  rawBody?: string;
  /** Destroy the socket without answering, so the client sees a connection error. */
  disconnect?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. '/v1/chat/completions'. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body; undefined when there was none or it was not JSON. */
  body: ChatRequestBody | undefined;
  /** The body's `model`, for quick assertions. */
  model?: string;
  stream: boolean;
  receivedAt: number;
}

/** The request fields tests look at; everything else is still in the object. */
export interface ChatRequestBody {
  model?: string;
  messages?: { role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  tool_choice?: unknown;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  response_format?: { type: string };
  [key: string]: unknown;
}

export interface UnexpectedCall {
  request: RecordedRequest;
  reason: string;
}

/** A dynamic answer; return undefined to fall through to "script exhausted". */
export type FakeResponder = (
  request: RecordedRequest,
) => FakeStep | undefined | Promise<FakeStep | undefined>;

export interface FakeOpenAIOptions {
  /** Models listed by `GET /v1/models`. */
  models?: string[];
  /** Their `owned_by` ('fake-openai'); llama-cpp-python's server says 'me'. */
  ownedBy?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get a 401. */
  requireApiKey?: string;
  /** Status answered when the script is exhausted; 500 by default. */
  exhaustedStatus?: number;
  /**
   * Validate chat requests the way llama.cpp's server does (pydantic, answering 500): every
   * message's content a string (an assistant's too, beside `tool_calls`: null and omitted are
   * rejected), tool calls and tools well formed. A rejected request is answered 500 with the
   * server's wording and recorded in `unexpectedCalls`, so a test whose request shape would break a
   * real compatible server fails. A tool schema with a length bound llama.cpp cannot compile into
   * a grammar drops the connection, as the real server's segfault does.
   */
  strict?: boolean;
  /**
   * Refuse a streamed request that offers tools as llama-cpp-python's server does with its
   * function-calling chat formats: 500 "Automatic streaming tool choice is not supported",
   * recorded in `unexpectedCalls` (the real server crashes after answering it).
   */
  rejectStreamedTools?: boolean;
}

export interface FakeOpenAI {
  /** Base URL including `/v1`, as the `openai` client's `baseURL` wants it. */
  readonly url: string;
  /** Every request received, in order (chat completions, model lists, unknown paths). */
  readonly requests: RecordedRequest[];
  /** Requests that found no scripted step and no responder answer, or hit an unknown path. */
  readonly unexpectedCalls: UnexpectedCall[];
  /** Appends steps to the script. */
  script(...steps: FakeStep[]): void;
  /** Steps not yet consumed. */
  remaining(): number;
  /** Answers requests no scripted step matches; pass undefined to remove. */
  respond(fn?: FakeResponder): void;
  /** Same as `respond`. */
  setFallback(fn?: FakeResponder): void;
  /** The last recorded chat-completions request; throws if there was none. */
  lastRequest(): RecordedRequest;
  /** Chat-completions requests only. */
  chatRequests(): RecordedRequest[];
  /** Throws, listing them, when any unexpected call was recorded. */
  assertNoUnexpectedCalls(): void;
  /** Clears the script, the responder and all recordings. */
  reset(): void;
  close(): Promise<void>;
}

const CHAT_PATH = '/v1/chat/completions';
const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'gpt-4.1-mini', 'o4-mini', 'gpt-5-mini'];
export const SCRIPT_EXHAUSTED = 'fake OpenAI script exhausted';

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const steps: FakeStep[] = [];
  const requests: RecordedRequest[] = [];
  const unexpectedCalls: UnexpectedCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let responder: FakeResponder | undefined;
  let idCounter = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  /** First step this model may consume: scripts are ordered, but `onlyForModel` steps wait for their model. */
  function takeStep(model: string | undefined): FakeStep | undefined {
    const i = steps.findIndex((s) => s.onlyForModel === undefined || s.onlyForModel === model);
    return i === -1 ? undefined : steps.splice(i, 1)[0];
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let body: ChatRequestBody | undefined;
    try {
      body = rawBody ? (JSON.parse(rawBody) as ChatRequestBody) : undefined;
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      headers: { ...req.headers },
      body,
      model: typeof body?.model === 'string' ? body.model : undefined,
      stream: body?.stream === true,
      receivedAt: Date.now(),
    };
    requests.push(recorded);

    if (
      options.requireApiKey !== undefined &&
      req.headers.authorization !== `Bearer ${options.requireApiKey}`
    ) {
      return sendError(res, 401, { error: 'Incorrect API key provided.', errorCode: 'invalid_api_key' });
    }

    if (recorded.method === 'GET' && path === '/v1/models') {
      const data = (options.models ?? DEFAULT_MODELS).map((id) => modelObject(id, options.ownedBy));
      return sendJson(res, 200, { object: 'list', data });
    }
    if (recorded.method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if ((options.models ?? DEFAULT_MODELS).includes(id))
        return sendJson(res, 200, modelObject(id, options.ownedBy));
      return sendError(res, 404, { error: `The model '${id}' does not exist`, errorCode: 'model_not_found' });
    }
    if (recorded.method !== 'POST' || path !== CHAT_PATH) {
      unexpectedCalls.push({ request: recorded, reason: `no route for ${recorded.method} ${path}` });
      return sendError(res, 404, { error: `fake OpenAI has no route for ${recorded.method} ${path}` });
    }
    if (!body || !Array.isArray(body.messages)) {
      return sendError(res, 400, { error: "fake OpenAI: request body must be JSON with a 'messages' array" });
    }

    const issues = options.strict ? strictIssues(body) : [];
    if (issues.length > 0) {
      const reason = `strict mode rejected the request: ${issues.map(describeIssue).join('; ')}`;
      unexpectedCalls.push({ request: recorded, reason });
      return sendError(res, 500, { error: pydanticText(issues), errorType: 'internal_server_error' });
    }

    const uncompilable = options.strict ? grammarCrashBound(body) : undefined;
    if (uncompilable) {
      // llama-cpp-python segfaults on such a schema once the model picks that tool: no answer at all.
      unexpectedCalls.push({
        request: recorded,
        reason: `strict mode: ${uncompilable} is more than llama.cpp's grammar compiler takes (the real server segfaults)`,
      });
      return void res.socket?.destroy();
    }

    if (options.rejectStreamedTools && recorded.stream && (body.tools ?? []).length > 0) {
      unexpectedCalls.push({ request: recorded, reason: 'a streamed request offered tools' });
      return sendError(res, 500, {
        error: 'Automatic streaming tool choice is not supported',
        errorType: 'internal_server_error',
      });
    }

    const step = takeStep(recorded.model) ?? (responder ? await responder(recorded) : undefined);
    if (!step) {
      const reason = `${SCRIPT_EXHAUSTED}: no step left for model '${recorded.model ?? '(none)'}' (request #${requests.length})`;
      unexpectedCalls.push({ request: recorded, reason });
      return sendError(res, options.exhaustedStatus ?? 500, {
        error: reason,
        errorType: 'fake_script_exhausted',
      });
    }
    if (step.delayMs) await sleep(step.delayMs);
    if (clientGone(res)) return; // The client gave up (timeout/abort) while we waited.
    if (step.disconnect) {
      req.socket.destroy();
      return;
    }
    const headers = stepHeaders(step);
    if (step.rawBody !== undefined) {
      res.writeHead(step.status ?? 200, { 'content-type': 'application/json', ...headers });
      res.end(step.rawBody);
      return;
    }
    if (step.status !== undefined && step.status >= 400) return sendError(res, step.status, step, headers);

    const answer = buildAnswer(step, body, () => `call_${++idCounter}`);
    if (recorded.stream) {
      await streamAnswer(res, answer, body, headers, step, sleep);
    } else {
      sendJson(res, step.status ?? 200, completionObject(answer), headers);
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the fake itself: make it visible to the test rather than a hanging request.
      if (!res.headersSent) sendError(res, 500, { error: `fake OpenAI crashed: ${String(err)}` });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const fake: FakeOpenAI = {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    unexpectedCalls,
    script: (...more) => void steps.push(...more),
    remaining: () => steps.length,
    respond: (fn) => void (responder = fn),
    setFallback: (fn) => void (responder = fn),
    chatRequests: () => requests.filter((r) => r.path === CHAT_PATH),
    lastRequest() {
      const chats = fake.chatRequests();
      const last = chats[chats.length - 1];
      if (!last) throw new Error('fake OpenAI has received no chat-completions request yet');
      return last;
    },
    assertNoUnexpectedCalls() {
      if (unexpectedCalls.length === 0) return;
      throw new Error(
        `fake OpenAI got ${unexpectedCalls.length} unexpected call(s):\n${unexpectedCalls.map((c) => `  ${c.reason}`).join('\n')}`,
      );
    },
    reset() {
      steps.length = 0;
      requests.length = 0;
      unexpectedCalls.length = 0;
      responder = undefined;
      idCounter = 0;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

/** The real client pointed at the fake, with its own retries off (Temporal retries, not the SDK). */
export function fakeOpenAIClient(
  fake: Pick<FakeOpenAI, 'url'>,
  options: { timeoutMs?: number } = {},
): OpenAI {
  return new OpenAI({
    apiKey: 'test',
    baseURL: fake.url,
    maxRetries: 0,
    timeout: options.timeoutMs ?? 10_000,
  });
}

/**
 * One line per test file: starts the fake before all tests, resets it after each (failing the test
 * if it saw unexpected calls, unless `allowUnexpectedCalls`), closes it after all.
 *   const fake = useFakeOpenAI();   // then fake().script(...) inside tests
 */
export function useFakeOpenAI(
  options: FakeOpenAIOptions & { allowUnexpectedCalls?: boolean } = {},
): () => FakeOpenAI {
  let instance: FakeOpenAI | undefined;
  beforeAll(async () => {
    instance = await startFakeOpenAI(options);
  });
  afterEach(() => {
    const current = instance;
    if (!current) return;
    const unexpected = [...current.unexpectedCalls];
    current.reset();
    if (!options.allowUnexpectedCalls && unexpected.length > 0) {
      throw new Error(
        `fake OpenAI got ${unexpected.length} unexpected call(s):\n${unexpected.map((c) => `  ${c.reason}`).join('\n')}`,
      );
    }
  });
  afterAll(async () => {
    await instance?.close();
    instance = undefined;
  });
  return () => {
    if (!instance)
      throw new Error(
        'useFakeOpenAI(): the fake is only available inside tests and hooks (it starts in beforeAll)',
      );
    return instance;
  };
}

/**
 * A responder that behaves like a server with working function calling: a forced tool choice
 * (`tool_choice: {type: 'function', function: {name}}`) is answered with a call of that tool,
 * anything else with `text`. `ignoreTools: true` plays a server that drops `tools` (llama.cpp
 * started with a plain chat format): always text.
 */
export function modelServerResponder(opts: { text?: string; ignoreTools?: boolean } = {}): FakeResponder {
  return (request) => {
    const choice = request.body?.tool_choice as { type?: string; function?: { name?: string } } | undefined;
    const forced = choice?.type === 'function' ? choice.function?.name : undefined;
    if (forced && !opts.ignoreTools) return { toolCalls: [{ name: forced, arguments: {} }] };
    return { text: opts.text ?? 'OK' };
  };
}

// ---------------------------------------------------------------------------------------------
// Strict mode: llama.cpp's server (llama-cpp-python) validates the body with pydantic models

interface StrictProblem {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
}

function describeIssue(p: StrictProblem): string {
  return `${p.loc.join('.')}: ${p.msg} (got ${JSON.stringify(p.input)})`;
}

function strictIssues(body: ChatRequestBody): StrictProblem[] {
  const out: StrictProblem[] = [];
  const str = (value: unknown, loc: (string | number)[]) => {
    if (typeof value !== 'string')
      out.push({
        type: 'string_type',
        loc: ['body', ...loc],
        msg: 'Input should be a valid string',
        input: value ?? null,
      });
  };
  const messages = body.messages ?? [];
  messages.forEach((raw, i) => {
    const m = raw as Record<string, unknown>;
    const at = (...rest: (string | number)[]) => ['messages', i, ...rest];
    switch (m.role) {
      case 'system':
      case 'tool':
        str(m.content, at('content'));
        if (m.role === 'tool') str(m.tool_call_id, at('tool_call_id'));
        break;
      case 'user':
        // Content parts (text, images) are an array; everything else must be a string.
        if (!Array.isArray(m.content)) str(m.content, at('content'));
        break;
      case 'assistant': {
        str(m.content, at('content'));
        if (m.tool_calls === undefined) break;
        if (!Array.isArray(m.tool_calls)) {
          out.push({
            type: 'list_type',
            loc: ['body', ...at('tool_calls')],
            msg: 'Input should be a valid list',
            input: m.tool_calls,
          });
          break;
        }
        m.tool_calls.forEach((rawCall: unknown, j) => {
          const c = (rawCall ?? {}) as Record<string, unknown>;
          const fn = (c.function ?? {}) as Record<string, unknown>;
          str(c.id, at('tool_calls', j, 'id'));
          if (c.type !== 'function')
            out.push({
              type: 'literal_error',
              loc: ['body', ...at('tool_calls', j, 'type')],
              msg: "Input should be 'function'",
              input: c.type ?? null,
            });
          str(fn.name, at('tool_calls', j, 'function', 'name'));
          str(fn.arguments, at('tool_calls', j, 'function', 'arguments'));
        });
        break;
      }
      default:
        out.push({
          type: 'union_tag_invalid',
          loc: ['body', ...at('role')],
          msg: "Input tag does not match any of the expected tags: 'system', 'user', 'assistant', 'tool', 'function'",
          input: m.role ?? null,
        });
    }
  });
  (body.tools ?? []).forEach((t, i) => {
    if (t?.type !== 'function')
      out.push({
        type: 'literal_error',
        loc: ['body', 'tools', i, 'type'],
        msg: "Input should be 'function'",
        input: t?.type ?? null,
      });
    str(t?.function?.name, ['tools', i, 'function', 'name']);
  });
  return out;
}

/**
 * Measured against llama-cpp-python 0.3.36: a string property with `maxLength: 1000` compiles into
 * a grammar, 1,200 does not ("number of rules that are going to be repeated ... exceeds sane
 * defaults"), and 20,000 overflows the parser's stack.
 */
const GRAMMAR_MAX_BOUND = 1000;

/** The first length/count bound in the offered tools' schemas past GRAMMAR_MAX_BOUND, as `tool.path: n`. */
function grammarCrashBound(body: ChatRequestBody): string | undefined {
  const find = (node: unknown, path: string): string | undefined => {
    if (node === null || typeof node !== 'object') return undefined;
    for (const [key, value] of Object.entries(node)) {
      const bound = ['maxLength', 'minLength', 'maxItems', 'minItems'].includes(key);
      if (bound && typeof value === 'number' && value > GRAMMAR_MAX_BOUND) return `${path}.${key}: ${value}`;
      const deeper = find(value, `${path}.${key}`);
      if (deeper) return deeper;
    }
    return undefined;
  };
  for (const t of body.tools ?? []) {
    const hit = find(t?.function?.parameters, t?.function?.name ?? '?');
    if (hit) return hit;
  }
  return undefined;
}

/** The text llama-cpp-python's server puts in `error.message`: pydantic's count, then one repr per error. */
function pydanticText(issues: StrictProblem[]): string {
  const py = (v: unknown): string =>
    v === null || v === undefined ? 'None' : typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  const dict = (p: StrictProblem) =>
    `{'type': '${p.type}', 'loc': (${p.loc.map(py).join(', ')}), 'msg': ${JSON.stringify(p.msg)}, 'input': ${py(p.input)}}`;
  return `${issues.length} validation error${issues.length === 1 ? '' : 's'}:\n${issues.map((i) => `  ${dict(i)}`).join('\n')}`;
}

// ---------------------------------------------------------------------------------------------
// Building answers

interface Answer {
  model: string;
  content: string | null;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: NonNullable<ChatCompletion.Choice['finish_reason']>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  id: string;
  created: number;
}

function buildAnswer(step: FakeStep, body: ChatRequestBody, nextId: () => string): Answer {
  const toolCalls = (step.toolCalls ?? []).map((c) => ({
    id: c.id ?? nextId(),
    name: c.name,
    arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}),
  }));
  if (step.rawArguments !== undefined) {
    toolCalls.push({ id: nextId(), name: step.name ?? 'post_message', arguments: step.rawArguments });
  }
  // OpenAI answers `content: null` for a pure tool-call message; an explicit '' stays ''.
  const content = step.text ?? (toolCalls.length > 0 ? null : '');
  const completionChars =
    (content ?? '').length + toolCalls.reduce((n, c) => n + c.name.length + c.arguments.length, 0);
  const prompt = step.usage?.prompt_tokens ?? Math.ceil(JSON.stringify(body.messages ?? []).length / 4);
  const completion = step.usage?.completion_tokens ?? Math.ceil(completionChars / 4);
  return {
    id: `chatcmpl-fake${Math.random().toString(36).slice(2, 12)}`,
    created: Math.floor(Date.now() / 1000),
    model: step.model ?? body.model ?? 'unknown',
    content,
    toolCalls,
    finishReason: step.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: step.usage?.total_tokens ?? prompt + completion,
    },
  };
}

function completionObject(a: Answer): ChatCompletion {
  return {
    id: a.id,
    object: 'chat.completion',
    created: a.created,
    model: a.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: a.content,
          refusal: null,
          ...(a.toolCalls.length > 0
            ? {
                tool_calls: a.toolCalls.map((c) => ({
                  id: c.id,
                  type: 'function' as const,
                  function: { name: c.name, arguments: c.arguments },
                })),
              }
            : {}),
        },
        finish_reason: a.finishReason,
        logprobs: null,
      },
    ],
    usage: a.usage,
  };
}

async function streamAnswer(
  res: http.ServerResponse,
  a: Answer,
  body: ChatRequestBody,
  headers: Record<string, string>,
  step: Pick<FakeStep, 'chunkDelayMs' | 'onFirstText' | 'stallAfterChunks'>,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const chunkDelayMs = step.chunkDelayMs ?? 0;
  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (choices: ChatCompletionChunk['choices'], usage?: Answer['usage']): ChatCompletionChunk => ({
    id: a.id,
    object: 'chat.completion.chunk',
    created: a.created,
    model: a.model,
    choices,
    // OpenAI sends `usage: null` on every chunk but the last when usage was asked for.
    ...(includeUsage ? { usage: usage ?? null } : {}),
  });
  const delta = (
    d: ChatCompletionChunk.Choice.Delta,
    finish: ChatCompletionChunk.Choice['finish_reason'] = null,
  ) => chunk([{ index: 0, delta: d, finish_reason: finish, logprobs: null }]);

  const chunks: ChatCompletionChunk[] = [
    delta({ role: 'assistant', content: a.content === null ? null : '' }),
  ];
  for (const piece of splitText(a.content ?? '')) chunks.push(delta({ content: piece }));
  a.toolCalls.forEach((c, index) => {
    chunks.push(
      delta({
        tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }],
      }),
    );
    for (const piece of splitEvery(c.arguments, 12))
      chunks.push(delta({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  chunks.push(delta({}, a.finishReason));
  if (includeUsage) chunks.push(chunk([], a.usage));

  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  let textSent = false;
  for (const [i, c] of chunks.entries()) {
    if (clientGone(res)) return;
    // Stalled: the client's own watchdog must give up; close() ends the connection at the latest.
    if (step.stallAfterChunks !== undefined && i >= step.stallAfterChunks) return;
    res.write(`data: ${JSON.stringify(c)}\n\n`);
    if (!textSent && c.choices[0]?.delta.content) {
      textSent = true;
      step.onFirstText?.();
    }
    if (chunkDelayMs > 0) await sleep(chunkDelayMs);
  }
  if (!clientGone(res)) res.end('data: [DONE]\n\n');
}

/** Word-sized pieces, spaces kept, so joined chunks equal the text exactly. */
function splitText(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function splitEvery(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing

const DEFAULT_ERRORS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Invalid request', type: 'invalid_request_error', code: null },
  401: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' },
  403: {
    message: 'You are not allowed to sample from this model',
    type: 'invalid_request_error',
    code: null,
  },
  404: {
    message: 'The model does not exist or you do not have access to it.',
    type: 'invalid_request_error',
    code: 'model_not_found',
  },
  409: { message: 'Conflict: another request is in progress', type: 'invalid_request_error', code: null },
  422: { message: 'Unprocessable entity', type: 'invalid_request_error', code: null },
  429: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
  500: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  },
  503: {
    message: 'The engine is currently overloaded, please try again later',
    type: 'server_error',
    code: null,
  },
};

function sendError(
  res: http.ServerResponse,
  status: number,
  step: Pick<FakeStep, 'error' | 'errorType' | 'errorCode' | 'retryAfterSec' | 'retryAfterMs' | 'headers'>,
  headers: Record<string, string> = stepHeaders(step),
): void {
  const fallback = DEFAULT_ERRORS[status] ?? {
    message: `HTTP ${status}`,
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
  };
  sendJson(
    res,
    status,
    {
      error: {
        message: step.error ?? fallback.message,
        type: step.errorType ?? fallback.type,
        param: null,
        code: step.errorCode ?? fallback.code,
      },
    },
    headers,
  );
}

function stepHeaders(
  step: Pick<FakeStep, 'retryAfterSec' | 'retryAfterMs' | 'headers'>,
): Record<string, string> {
  return {
    ...(step.retryAfterSec !== undefined ? { 'retry-after': String(step.retryAfterSec) } : {}),
    ...(step.retryAfterMs !== undefined ? { 'retry-after-ms': String(step.retryAfterMs) } : {}),
    // Tell any client that does retry (ours do not) to leave it to the test.
    'x-should-retry': 'false',
    ...step.headers,
  };
}

function clientGone(res: http.ServerResponse): boolean {
  return res.destroyed || !res.socket || res.socket.destroyed;
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (clientGone(res)) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function modelObject(id: string, ownedBy = 'fake-openai') {
  return { id, object: 'model', created: 1_700_000_000, owned_by: ownedBy };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

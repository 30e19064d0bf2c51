/**
 * The bench's model: the tests' fake OpenAI server answering from a marker in the user message,
 * so every turn is deterministic and the same for the durable path and the baseline:
 *
 *   [bench latency=300 steps=1 calls=2 bytes=0]
 *
 * waits `latency` ms per call; asks for `calls` tool calls per step for `steps` steps, then answers
 * with text. Tool calls alternate `echo` and `add_numbers` (backend tools over HTTP); with
 * `bytes` > 0 every call is an `echo` of that many characters (history-size worst case).
 *
 * A long streamed answer (the streaming scenario) has its own marker:
 *
 *   [bench-stream id=s-1 first=300 chars=8000 gap=4]
 *
 * waits `first` ms, then answers ~`chars` characters of prose as word deltas `gap` ms apart (when
 * the call streams; otherwise at once, as JSON). The time the request arrived and the time the
 * first text delta was written are kept per `id`, so the bench can subtract the model's own time
 * to first token from what the client saw.
 */
import {
  startFakeOpenAI,
  type FakeOpenAI,
  type FakeStep,
  type FakeToolCall,
  type RecordedRequest,
} from '../../test/support/fake-openai';

export interface TurnShape {
  /** Model latency per call, ms. */
  latencyMs: number;
  /** Model steps that ask for tools before the final answer (0 = a plain reply). */
  steps: number;
  /** Tool calls per step (run in parallel by the turn). */
  calls: number;
  /** `echo` text length per tool call; 0 = small arguments. */
  bytes?: number;
}

export const PLAIN = (latencyMs: number): TurnShape => ({ latencyMs, steps: 0, calls: 0 });
export const TWO_TOOLS = (latencyMs: number): TurnShape => ({ latencyMs, steps: 1, calls: 2 });

export function benchMessage(shape: TurnShape, text = 'Summarise the status of the launch.'): string {
  return `${text}\n[bench latency=${shape.latencyMs} steps=${shape.steps} calls=${shape.calls} bytes=${shape.bytes ?? 0}]`;
}

const MARKER = /\[bench latency=(\d+) steps=(\d+) calls=(\d+) bytes=(\d+)\]/;

export function parseShape(text: string): TurnShape | undefined {
  const m = MARKER.exec(text);
  if (!m) return undefined;
  return { latencyMs: Number(m[1]), steps: Number(m[2]), calls: Number(m[3]), bytes: Number(m[4]) };
}

export interface StreamShape {
  /** Delay before the first delta, ms. */
  firstMs: number;
  /** Answer length in characters (~4 per token). */
  chars: number;
  /** Delay between word deltas, ms. */
  gapMs: number;
}

export function streamMessage(id: string, shape: StreamShape): string {
  return `Write the launch report in full.\n[bench-stream id=${id} first=${shape.firstMs} chars=${shape.chars} gap=${shape.gapMs}]`;
}

const STREAM_MARKER = /\[bench-stream id=([\w.-]+) first=(\d+) chars=(\d+) gap=(\d+)\]/;

const PROSE = (
  'The launch review covers the checklist, the open risks and who owns each follow-up. ' +
  'Telemetry from the staging rollout shows latency within budget, and the support team has the ' +
  'runbook for the first week. Two items remain blocked on the vendor contract; the fallback plan ' +
  'keeps the date if legal signs off by Thursday. '
).split(' ');

/** Deterministic prose of about `chars` characters, whole words. */
export function longAnswer(chars: number): string {
  const words: string[] = [];
  let length = 0;
  for (let i = 0; length < chars; i++) {
    const word = PROSE[i % PROSE.length] || '\n\n';
    words.push(word);
    length += word.length + 1;
  }
  return words.join(' ').replace(/\n\n /g, '\n\n');
}

/** When the fake saw one streamed answer's request and wrote its first text delta (performance.now()). */
export interface ModelTiming {
  requestAt: number;
  firstTextAt?: number;
}

function streamAnswerFor(messages: Message[], timings: Map<string, ModelTiming>): FakeStep | undefined {
  const user = messages.find(
    (m) => m.role === 'user' && typeof m.content === 'string' && STREAM_MARKER.test(m.content),
  );
  const m = user ? STREAM_MARKER.exec(user.content as string) : null;
  if (!m) return undefined;
  const id = m[1] as string;
  // A retried model call keeps the first attempt's times: that is the text the client saw first.
  const timing = timings.get(id) ?? { requestAt: performance.now() };
  timings.set(id, timing);
  return {
    text: longAnswer(Number(m[3])),
    delayMs: Number(m[2]),
    chunkDelayMs: Number(m[4]),
    onFirstText: () => void (timing.firstTextAt ??= performance.now()),
  };
}

type Message = NonNullable<NonNullable<RecordedRequest['body']>['messages']>[number];

function answerFor(messages: Message[]): FakeStep | undefined {
  const user = messages.find(
    (m) => m.role === 'user' && typeof m.content === 'string' && MARKER.test(m.content),
  );
  const shape = user ? parseShape(user.content as string) : undefined;
  if (!shape) return undefined;
  const stepsDone = messages.filter((m) => m.role === 'assistant' && Array.isArray(m.tool_calls)).length;
  if (stepsDone >= shape.steps) {
    return { text: `Done after ${stepsDone} tool step(s).`, delayMs: shape.latencyMs };
  }
  const toolCalls: FakeToolCall[] = Array.from({ length: shape.calls }, (_, i) => {
    const id = `s${stepsDone + 1}c${i + 1}`;
    if (shape.bytes) return { id, name: 'echo', arguments: { text: 'x'.repeat(shape.bytes) } };
    return i % 2 === 0
      ? { id, name: 'echo', arguments: { text: `step ${stepsDone + 1}` } }
      : { id, name: 'add_numbers', arguments: { a: stepsDone, b: i } };
  });
  return { toolCalls, delayMs: shape.latencyMs };
}

export interface BenchModel extends FakeOpenAI {
  /** Per `bench-stream` id; the scenario deletes what it has read. */
  readonly streamTimings: Map<string, ModelTiming>;
}

/** The fake server with the marker responders installed; requests are not kept (long runs). */
export async function startBenchModel(): Promise<BenchModel> {
  const fake = await startFakeOpenAI();
  const streamTimings = new Map<string, ModelTiming>();
  fake.respond((req) => {
    // The fake records every request for tests; a bench run makes thousands, so drop them.
    fake.requests.length = 0;
    const messages = req.body?.messages ?? [];
    return streamAnswerFor(messages, streamTimings) ?? answerFor(messages);
  });
  return Object.assign(fake, { streamTimings });
}

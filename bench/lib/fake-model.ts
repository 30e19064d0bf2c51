/**
 * The bench's model: the tests' fake OpenAI server answering from a marker in the user message,
 * so every turn is deterministic and the same for the durable path and the baseline:
 *
 *   [bench latency=300 steps=1 calls=2 bytes=0]
 *
 * waits `latency` ms per call; asks for `calls` tool calls per step for `steps` steps, then answers
 * with text. Tool calls alternate `echo` and `add_numbers` (backend tools over HTTP); with
 * `bytes` > 0 every call is an `echo` of that many characters (history-size worst case).
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

/** The fake server with the marker responder installed; requests are not kept (long runs). */
export async function startBenchModel(): Promise<FakeOpenAI> {
  const fake = await startFakeOpenAI();
  fake.respond((req) => {
    // The fake records every request for tests; a bench run makes thousands, so drop them.
    fake.requests.length = 0;
    return answerFor(req.body?.messages ?? []);
  });
  return fake;
}

/**
 * One streamed chat completion, watched. The `openai` client's `timeout` only covers the wait for
 * the response headers; a server that sends its headers and then stops (a stuck local model, a
 * proxy holding the connection) would hold the attempt until the activity's start-to-close. So a
 * watchdog aborts the request when no chunk arrives for too long: the request timeout until the
 * first chunk (a local model on a CPU reads the whole prompt first), the idle timeout between
 * chunks after that. The caller turns a `StreamStalled` into a retryable model failure.
 */
import type OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from 'openai/resources/chat/completions';

/** The watchdog fired: `waitedMs` without a chunk, before (`began: false`) or during the answer. */
export class StreamStalled extends Error {
  constructor(
    readonly waitedMs: number,
    readonly began: boolean,
  ) {
    super(`no chunk for ${waitedMs} ms ${began ? 'in the middle of the answer' : 'before the answer began'}`);
    this.name = 'StreamStalled';
  }
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** Longest wait for the first chunk (the request timeout). */
  firstChunkMs: number;
  /** Longest wait between two chunks once the answer has begun. */
  idleMs: number;
  onText: (delta: string) => void;
}

export async function streamCompletion(
  client: OpenAI,
  request: ChatCompletionCreateParamsNonStreaming,
  opts: StreamOptions,
): Promise<ChatCompletion> {
  const watchdog = new AbortController();
  const { signal } = opts;
  const passOnAbort = () => watchdog.abort(signal?.reason);
  if (signal?.aborted) passOnAbort();
  signal?.addEventListener('abort', passOnAbort, { once: true });
  let stalled: StreamStalled | undefined;
  let began = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = new StreamStalled(ms, began);
      watchdog.abort(stalled);
    }, ms);
  };
  arm(opts.firstChunkMs);
  try {
    const stream = client.chat.completions.stream(
      { ...request, stream: true, stream_options: { include_usage: true } },
      { maxRetries: 0, timeout: opts.firstChunkMs, signal: watchdog.signal },
    );
    stream.on('chunk', () => {
      began = true;
      arm(opts.idleMs);
    });
    stream.on('content', (delta) => opts.onText(delta));
    return await stream.finalChatCompletion();
  } catch (err) {
    if (stalled && !signal?.aborted) throw stalled;
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', passOnAbort);
  }
}

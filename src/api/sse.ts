/**
 * Server-Sent Events on a raw Node response: the frame format (`event: <type>\ndata: <json>\n\n`,
 * the JSON repeating `type`, as the original Clasper sends) and how an answer is cut into `chunk`s.
 */
import type { ServerResponse } from 'node:http';

/**
 * Chunk granularity. The model activity returns the whole answer at once (tokens are not streamed
 * out of the activity: a retried attempt would have streamed text that is then thrown away, and
 * the API may be another host), so the answer is known only when the model's last step finishes.
 * It is then sent as chunks of about a sentence, at most CHUNK_MAX_CHARS characters, cut after
 * whitespace where possible; the chunks joined give the answer exactly.
 */
export const CHUNK_MAX_CHARS = 80;

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  // nginx buffers proxied responses unless told otherwise, which would hold every event back.
  'X-Accel-Buffering': 'no',
} as const;

export function sseFrame(type: string, data: Record<string, unknown>): string {
  // JSON.stringify escapes newlines, so the payload is always a single `data:` line.
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** A comment frame: ignored by clients, keeps idle proxies from closing a quiet stream. */
export const SSE_KEEP_ALIVE = ': keep-alive\n\n';

/** Writes frames until the client goes away; after that every write is a no-op. */
export class SseWriter {
  private lastWriteAt = Date.now();

  constructor(private readonly res: ServerResponse) {}

  get open(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }

  event(type: string, data: Record<string, unknown> = {}): void {
    this.write(sseFrame(type, data));
  }

  /** A keep-alive comment when nothing was written for `idleMs`. */
  keepAlive(idleMs: number): void {
    if (Date.now() - this.lastWriteAt >= idleMs) this.write(SSE_KEEP_ALIVE);
  }

  end(): void {
    if (this.open) this.res.end();
  }

  private write(text: string): void {
    if (!this.open) return;
    this.res.write(text);
    this.lastWriteAt = Date.now();
  }
}

const SENTENCE_END = /[.!?]+["')\]]*\s+|\n+/g;

/** The answer as chunks of about a sentence, each at most `max` characters; joined, exactly `text`. */
export function splitIntoChunks(text: string, max = CHUNK_MAX_CHARS): string[] {
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    const cut = cutPoint(rest, max);
    chunks.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  return chunks;
}

function cutPoint(text: string, max: number): number {
  SENTENCE_END.lastIndex = 0;
  const sentence = SENTENCE_END.exec(text);
  if (sentence) {
    const end = sentence.index + sentence[0].length;
    if (end <= max) return end;
  }
  if (text.length <= max) return text.length;
  for (let i = max - 1; i > 0; i--) {
    if (/\s/.test(text.charAt(i))) return i + 1;
  }
  // One long word: cut it, but never between the two halves of a surrogate pair.
  const high = text.charCodeAt(max - 1);
  const cut = high >= 0xd800 && high <= 0xdbff ? max - 1 : max;
  return cut > 0 ? cut : Math.min(2, text.length);
}

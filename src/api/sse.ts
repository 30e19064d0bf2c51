/**
 * Server-Sent Events on a raw Node response: the frame format (`id: <offset>\nevent: <type>\ndata:
 * <json>\n\n`, the JSON repeating `type`, as the original Clasper sends) and keep-alives.
 */
import type { ServerResponse } from 'node:http';

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  // nginx buffers proxied responses unless told otherwise, which would hold every event back.
  'X-Accel-Buffering': 'no',
} as const;

/** One frame; `id` is the event's stream offset, which a client resumes from (`Last-Event-ID`). */
export function sseFrame(type: string, data: Record<string, unknown>, id?: number): string {
  // JSON.stringify escapes newlines, so the payload is always a single `data:` line.
  const idLine = id === undefined ? '' : `id: ${id}\n`;
  return `${idLine}event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
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

  event(type: string, data: Record<string, unknown> = {}, id?: number): void {
    this.write(sseFrame(type, data, id));
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

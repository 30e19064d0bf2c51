/**
 * A real SSE client for tests: `fetch` against the API listening on a port, the body read as it
 * arrives and cut into `{event, data}` frames (comments skipped), exactly as a browser's
 * EventSource would see them.
 */
import type { FastifyInstance } from 'fastify';

export interface SseEvent {
  event: string;
  /** The frame's `id:` (the stream offset), when it has one. */
  id?: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions read any field
  data: any;
}

/** Makes the app listen on a free local port (once) and returns its base URL. */
export async function listenLocally(app: FastifyInstance): Promise<string> {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  if (!addr || typeof addr !== 'object') throw new Error('the API is not listening on a TCP port');
  return `http://127.0.0.1:${addr.port}`;
}

export function postJson(
  url: string,
  body: unknown,
  opts: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...opts.headers },
    body: JSON.stringify(body),
    signal: opts.signal,
  });
}

/** Yields each frame as soon as it is complete. */
export async function* readSse(res: Response): AsyncGenerator<SseEvent> {
  if (!res.body) throw new Error('the response has no body');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const parsed = parseFrame(frame);
      if (parsed) yield parsed;
    }
  }
  if (buffer.trim() !== '') throw new Error(`the stream ended inside a frame: ${JSON.stringify(buffer)}`);
}

/** Every frame until the server ends the stream. */
export async function collectSse(res: Response): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const e of readSse(res)) events.push(e);
  return events;
}

function parseFrame(frame: string): SseEvent | undefined {
  let event = 'message';
  let id: number | undefined;
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) continue;
    if (line.startsWith('id:')) id = Number(line.slice(3).trim());
    else if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return undefined;
  return { event, ...(id !== undefined ? { id } : {}), data: JSON.parse(data.join('\n')) };
}

/**
 * What a client that honours `reset` shows, per model step: the text of the step's chunks since its
 * last reset. Works on SSE frames and on the stream log's own events alike (same `event`/`data`).
 */
export function textShownPerStep(
  events: { event: string; data: Record<string, unknown> }[],
): Map<number, string> {
  const shown = new Map<number, string>();
  for (const e of events) {
    const step = e.data.step as number;
    if (e.event === 'reset') shown.set(step, '');
    if (e.event === 'chunk') shown.set(step, (shown.get(step) ?? '') + String(e.data.data));
  }
  return shown;
}

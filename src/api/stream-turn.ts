/**
 * Streams an AgentTurn as Server-Sent Events from its stream log (src/shared/stream.ts): `start`,
 * `chunk` as the model writes, `reset` when a step's text is replaced, `tool` as calls start and
 * finish, `approval_required` / `approval_decided`, then `done` (send's 200 body) or `error`. Every
 * event carries its log offset as the SSE `id`, so a client that lost the connection resumes with
 * `Last-Event-ID` (or `?after=`) and gets exactly what it missed, then the rest live, from any API
 * replica. The turn is the same durable workflow send starts: it posts its reply and fires its
 * webhook whether or not anyone is still listening; a client that disconnects only stops the polling.
 *
 * Nothing is pushed from the worker to the API: the API polls the turn's `stream` query (every
 * STREAM_POLL_MIN_MS until the first text and while events arrive, backing off to
 * STREAM_POLL_MAX_MS when quiet), so the API
 * and the worker may be different processes on different hosts. A worker too old to answer the
 * query gets the old behaviour: tool events and the answer's chunks from the result at the end.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { QueryNotRegisteredError } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import { splitIntoChunks } from '../shared/chunks';
import { streamQuery, type StreamPage } from '../shared/stream';
import type { AgentTurnWorkflow } from '../shared/workflow-types';
import type { TurnMetrics } from './metrics';
import { TurnResultSchema } from './schemas/agents';
import { statusUrlOf } from './send-input';
import { SSE_HEADERS, SseWriter } from './sse';
import { sleepUnlessAborted, type TurnOutcome, type TurnService } from './turns';

/** Poll quickly while the log grows (time to first token), slowly when the turn is quiet. */
export const STREAM_POLL_MIN_MS = 50;
export const STREAM_POLL_MAX_MS = 250;
/** Proxies commonly drop connections idle for 30-60 s; a long tool call must not end the stream. */
export const KEEP_ALIVE_IDLE_MS = 15_000;

export interface StreamTurnOptions {
  turns: TurnService;
  handle: WorkflowHandle<AgentTurnWorkflow>;
  /** How long the stream follows the turn (CLASPER_SEND_TIMEOUT_SEC); the turn itself goes on. */
  timeoutMs: number;
  metrics?: TurnMetrics;
  /** Aborted when the API shuts down (`abortOnClose`). */
  shutdown?: AbortSignal;
  /** Resume: relay only events after this offset (Last-Event-ID); 0 or absent starts with `start`. */
  after?: number;
}

/** A signal aborted as the app starts closing, so open streams end instead of holding the close up. */
export function abortOnClose(app: FastifyInstance): AbortSignal {
  const controller = new AbortController();
  app.addHook('preClose', (done) => {
    controller.abort();
    done();
  });
  return controller.signal;
}

export async function streamTurn(
  request: FastifyRequest,
  reply: FastifyReply,
  opts: StreamTurnOptions,
): Promise<void> {
  const turnId = opts.handle.workflowId;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { ...headersSetSoFar(reply.getHeaders()), ...SSE_HEADERS });
  const sse = new SseWriter(res);
  const clientGone = new AbortController();
  res.on('close', () => clientGone.abort());
  const stop = opts.shutdown ? AbortSignal.any([clientGone.signal, opts.shutdown]) : clientGone.signal;

  let outcome: TurnOutcome | undefined;
  const finished = opts.turns.await(opts.handle, opts.timeoutMs, stop).then((o) => {
    outcome = o;
  });
  const relay = new StreamRelay(opts.handle, sse, request, opts.after ?? 0);
  try {
    if (relay.lastId === 0) sse.event('start', { turn_id: turnId }, 0);
    let wait = STREAM_POLL_MIN_MS;
    while (!stop.aborted) {
      // Read before polling: when the turn had already ended, this poll sees all it recorded.
      const ended = outcome !== undefined;
      const relayed = await relay.poll(ended);
      if (ended) break;
      // Until the first text arrives the client waits for its first token: no backing off then.
      wait = relayed > 0 || !relay.textSeen ? STREAM_POLL_MIN_MS : Math.min(wait * 2, STREAM_POLL_MAX_MS);
      await Promise.race([finished, sleepUnlessAborted(wait, stop)]);
      sse.keepAlive(KEEP_ALIVE_IDLE_MS);
    }
    await finished;
    const last = outcome as TurnOutcome;
    if (last.state !== 'pending') opts.metrics?.finished(last);
    if (clientGone.signal.aborted) {
      request.log.info({ turn_id: turnId }, 'stream client went away; the turn keeps running');
      return;
    }
    const endId = relay.lastId + 1;
    if (last.state === 'completed') {
      relay.finishLegacy(last.result.tool_calls, last.result.response);
      sse.event('done', TurnResultSchema.parse(last.result), endId);
    } else if (last.state === 'failed') {
      sse.event('error', { error: last.error, turn_id: turnId }, endId);
    } else {
      const why = opts.shutdown?.aborted
        ? 'the API is shutting down'
        : `the turn is still running after ${Math.round(opts.timeoutMs / 1000)} s`;
      sse.event('error', {
        error: `${why}; it continues: follow it at status_url, or resume this stream with Last-Event-ID`,
        turn_id: turnId,
        status_url: statusUrlOf(turnId),
      });
    }
    request.log.info({ turn_id: turnId, outcome: last.state }, 'turn streamed');
  } catch (err) {
    // Headers are out: a failure here can only be reported in the stream.
    request.log.error({ err, turn_id: turnId }, 'streaming a turn failed');
    sse.event('error', {
      error: 'internal error while streaming; the turn continues, follow it at status_url',
      turn_id: turnId,
      status_url: statusUrlOf(turnId),
    });
  } finally {
    sse.end();
    // Closing: the keep-alive connection would otherwise hold the server's close up until it idles out.
    if (opts.shutdown?.aborted) res.socket?.end();
  }
}

/** The offset the client has, and how to send it the rest of the log. */
class StreamRelay {
  /** The worker cannot answer the `stream` query (an older worker during a deploy). */
  private legacy = false;
  /** A `chunk` was relayed (or the client resumed past the start). */
  textSeen: boolean;

  constructor(
    private readonly handle: WorkflowHandle<AgentTurnWorkflow>,
    private readonly sse: SseWriter,
    private readonly request: FastifyRequest,
    public lastId: number,
  ) {
    this.textSeen = lastId > 0;
  }

  /** Relays every event recorded after `lastId`; answers how many. */
  async poll(ended: boolean): Promise<number> {
    if (this.legacy) return 0;
    let relayed = 0;
    for (;;) {
      let page: StreamPage;
      try {
        page = await this.handle.query(streamQuery, { after: this.lastId });
      } catch (err) {
        // Nothing relayed yet and no log to read (an older worker, or an ended turn no worker can
        // load): fall back to the result at the end.
        if ((err instanceof QueryNotRegisteredError || ended) && this.lastId === 0) this.legacy = true;
        // While it runs, a turn may not answer yet (its first workflow task is still pending): next poll.
        this.request.log.debug({ err, turn_id: this.handle.workflowId, ended }, 'stream query failed');
        return relayed;
      }
      for (const e of page.events) {
        if (e.event === 'chunk') this.textSeen = true;
        this.sse.event(e.event, e.data, e.id);
        this.lastId = e.id;
        relayed += 1;
      }
      if (page.events.length === 0 || this.lastId >= page.lastId) return relayed;
    }
  }

  /** For a worker without the stream log: tool events and the answer's chunks, from the result. */
  finishLegacy(toolCalls: { name: string; ok: boolean; error?: string }[], response: string): void {
    if (!this.legacy) return;
    for (const call of toolCalls) {
      this.sse.event('tool', {
        status: 'finished',
        name: call.name,
        ok: call.ok,
        ...(call.error !== undefined ? { error: call.error } : {}),
      });
    }
    for (const data of splitIntoChunks(response)) this.sse.event('chunk', { data });
  }
}

/** Headers hooks set before the handler (x-request-id, rate-limit headers), for the hijacked response. */
function headersSetSoFar(headers: Record<string, unknown>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' || typeof value === 'number' || Array.isArray(value))
      out[name] = value as OutgoingHttpHeaders[string];
  }
  return out;
}

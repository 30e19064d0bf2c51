/**
 * Streams a running AgentTurn as Server-Sent Events: `start`, a `tool` event per finished tool
 * call, `approval_required` / `approval_decided` for calls that wait for a person, the answer as
 * `chunk`s, then `done` (send's 200 body) or `error`. The turn is the same durable workflow send
 * starts: it posts its reply and fires its webhook whether or not anyone
 * is still listening, and a client that disconnects only stops the polling, never the turn.
 *
 * Nothing is pushed from the worker: the API polls the turn's `progress` query
 * (src/shared/progress.ts) every PROGRESS_POLL_INTERVAL_MS and relays what is new, so the API and
 * the worker may be different processes on different hosts. Chunk granularity: see CHUNK_MAX_CHARS in sse.ts.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import type { AgentTurnWorkflow } from '../shared/workflow-types';
import { MAX_TOOL_EVENTS_PER_QUERY, progressQuery, type TurnProgress } from '../shared/progress';
import type { TurnToolCall } from '../shared/types';
import type { TurnMetrics } from './metrics';
import { TurnResultSchema } from './schemas/agents';
import { statusUrlOf } from './send-input';
import { SSE_HEADERS, SseWriter, splitIntoChunks } from './sse';
import type { TurnOutcome, TurnService } from './turns';

/** How often a stream reads the turn's progress: quick enough to feel live, 4 cheap queries a second. */
export const PROGRESS_POLL_INTERVAL_MS = 250;
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
  const relay = new ProgressRelay(opts.handle, sse, request);
  try {
    sse.event('start', { turn_id: turnId });
    while (!stop.aborted) {
      // Read before polling: when the turn had already ended, this poll sees all it recorded.
      const ended = outcome !== undefined;
      await relay.poll(ended);
      if (ended) break;
      await Promise.race([finished, delay(PROGRESS_POLL_INTERVAL_MS, stop)]);
      sse.keepAlive(KEEP_ALIVE_IDLE_MS);
    }
    await finished;
    const last = outcome as TurnOutcome;
    if (last.state !== 'pending') opts.metrics?.finished(last);
    if (clientGone.signal.aborted) {
      request.log.info({ turn_id: turnId }, 'stream client went away; the turn keeps running');
      return;
    }
    if (last.state === 'completed') {
      relay.finish(last.result.tool_calls, last.result.response);
      sse.event('done', TurnResultSchema.parse(last.result));
    } else if (last.state === 'failed') {
      sse.event('error', { error: last.error, turn_id: turnId });
    } else {
      const why = opts.shutdown?.aborted
        ? 'the API is shutting down'
        : `the turn is still running after ${Math.round(opts.timeoutMs / 1000)} s`;
      sse.event('error', {
        error: `${why}; it continues, follow it at status_url`,
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

/** What the client has been sent so far, and how to send the rest. */
class ProgressRelay {
  private afterSeq = 0;
  /** Tool events relayed (afterSeq also counts approval events). */
  private toolsSent = 0;
  private text = '';
  private textLength: number | undefined;
  private chunksSent = false;
  /** The progress query failed after the turn ended (no worker to answer it, or an older worker). */
  private unreadable = false;

  constructor(
    private readonly handle: WorkflowHandle<AgentTurnWorkflow>,
    private readonly sse: SseWriter,
    private readonly request: FastifyRequest,
  ) {}

  /** Relays new tool events and, once the whole answer is in, its chunks. */
  async poll(ended: boolean): Promise<void> {
    for (;;) {
      let progress: TurnProgress;
      try {
        progress = await this.handle.query(progressQuery, {
          afterSeq: this.afterSeq,
          textFrom: this.text.length,
        });
      } catch (err) {
        // While it runs, a turn may not answer yet (its first workflow task is still pending): next poll.
        if (ended) this.unreadable = true;
        this.request.log.debug({ err, turn_id: this.handle.workflowId }, 'progress query failed');
        return;
      }
      // Tool and approval events share one seq counter: relay them merged, in seq order. A page
      // that came back full may continue past its last seq, so nothing beyond that is relayed yet.
      const approvals = progress.approvals ?? [];
      const fullPageEnds = [progress.tools, approvals]
        .filter((page) => page.length >= MAX_TOOL_EVENTS_PER_QUERY)
        .map((page) => page.at(-1)?.seq ?? 0);
      const upTo = fullPageEnds.length > 0 ? Math.min(...fullPageEnds) : Number.MAX_SAFE_INTEGER;
      const events = [
        ...progress.tools.map((e) => ({ seq: e.seq, tool: e })),
        ...approvals.map((e) => ({ seq: e.seq, approval: e })),
      ]
        .filter((e) => e.seq <= upTo)
        .sort((a, b) => a.seq - b.seq);
      for (const e of events) {
        if ('tool' in e && e.tool) {
          this.toolsSent += 1;
          this.sse.event('tool', {
            name: e.tool.name,
            ok: e.tool.ok,
            ...(e.tool.error !== undefined ? { error: e.tool.error } : {}),
            step: e.tool.step,
          });
        } else if ('approval' in e && e.approval) {
          const { seq: _seq, kind, ...data } = e.approval;
          this.sse.event(kind, data);
        }
        this.afterSeq = e.seq;
      }
      const textPage = progress.text ?? '';
      if (progress.textLength !== undefined) {
        this.text += textPage;
        this.textLength = progress.textLength;
      }
      const moreTools = events.length > 0 && this.afterSeq < progress.lastSeq;
      const moreText =
        this.textLength !== undefined && this.text.length < this.textLength && textPage.length > 0;
      if (!moreTools && !moreText) break;
    }
    if (this.textLength !== undefined && this.text.length === this.textLength) this.sendChunks(this.text);
  }

  /** After the turn completed: whatever progress could not deliver, from the result. */
  finish(toolCalls: TurnToolCall[], response: string): void {
    if (this.unreadable) {
      // No step numbers in the result: these events carry none.
      for (const call of toolCalls.slice(this.toolsSent)) {
        this.sse.event('tool', {
          name: call.name,
          ok: call.ok,
          ...(call.error !== undefined ? { error: call.error } : {}),
        });
      }
      this.toolsSent = toolCalls.length;
    }
    this.sendChunks(response);
  }

  private sendChunks(text: string): void {
    if (this.chunksSent) return;
    this.chunksSent = true;
    for (const data of splitIntoChunks(text)) this.sse.event('chunk', { data });
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

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

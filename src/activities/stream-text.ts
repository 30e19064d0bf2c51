/**
 * Sends a streaming model call's text to the calling turn's stream log (src/shared/stream.ts) as
 * `streamText` signals, batched so history grows with batches, not tokens: the first delta goes at
 * once (time to first token), later ones wait for FLUSH_INTERVAL_START_MS, doubling per batch up to
 * FLUSH_INTERVAL_MAX_MS, or until FLUSH_CHARS are pending; one signal is in flight at a time, and
 * what arrives meanwhile joins the next batch.
 *
 * Streaming is best effort by design: a signal that fails stops this call's streaming (a warning in
 * the worker log) and never fails the model call, because the turn shows the recorded answer when
 * the step settles whatever the log received.
 */
import { Context, log } from '@temporalio/activity';
import { streamTextSignal } from '../shared/stream';

export const FLUSH_INTERVAL_START_MS = 100;
export const FLUSH_INTERVAL_MAX_MS = 1_000;
export const FLUSH_CHARS = 2_048;

export type SendBatch = (text: string, batch: number) => Promise<void>;

export class TextBatcher {
  private pending = '';
  private batches = 0;
  private interval = FLUSH_INTERVAL_START_MS;
  private lastFlushAt = 0;
  private inFlight: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failed = false;

  constructor(
    private readonly send: SendBatch,
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many batches were sent (or are being sent). */
  get sent(): number {
    return this.batches;
  }

  push(delta: string): void {
    if (this.failed || delta === '') return;
    this.pending += delta;
    this.maybeFlush();
  }

  /** Sends what is pending and resolves when every batch has been sent (or given up). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (!this.failed && (this.inFlight || this.pending !== '')) {
      if (this.inFlight) await this.inFlight;
      else this.flushNow();
    }
    this.pending = '';
  }

  private maybeFlush(): void {
    if (this.failed || this.inFlight || this.pending === '') return;
    const dueAt = this.lastFlushAt + this.interval;
    const now = this.now();
    if (this.batches === 0 || this.pending.length >= FLUSH_CHARS || now >= dueAt) {
      this.flushNow();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.maybeFlush();
      }, dueAt - now);
    }
  }

  private flushNow(): void {
    const text = this.pending;
    this.pending = '';
    this.batches += 1;
    if (this.batches > 1) this.interval = Math.min(this.interval * 2, FLUSH_INTERVAL_MAX_MS);
    this.lastFlushAt = this.now();
    this.inFlight = this.send(text, this.batches)
      .catch((err: unknown) => {
        this.failed = true;
        this.onError(err);
      })
      .finally(() => {
        this.inFlight = undefined;
        this.maybeFlush();
      });
  }
}

/** A batcher whose batches go to the workflow that runs the current activity, for model `step`. */
export function streamToCallingTurn(step: number): TextBatcher {
  const ctx = Context.current();
  const { workflowExecution, activityId, attempt } = ctx.info;
  // Not run by a workflow (a standalone activity): there is no turn to stream to.
  if (!workflowExecution) return new TextBatcher(() => Promise.resolve());
  const handle = ctx.client.workflow.getHandle(workflowExecution.workflowId, workflowExecution.runId);
  const source = `${activityId}#${attempt}`;
  return new TextBatcher(
    (text, batch) => handle.signal(streamTextSignal, { step, source, batch, text }),
    (err) =>
      log.warn('streaming the model text to the turn failed; the turn shows the answer when the step ends', {
        error: err instanceof Error ? err.message : String(err),
      }),
  );
}

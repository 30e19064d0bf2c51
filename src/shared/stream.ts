/**
 * A turn's stream: an offset-addressed log of what a client shows while the turn runs — text as the
 * model writes it (`chunk`), `reset` when a step's text is replaced, `tool` calls starting and
 * finishing, and approvals. It lives in the workflow (memory rebuilt on replay), so it survives
 * worker crashes, and any API replica reads it through the `stream` query from any offset: that is
 * what makes an SSE stream joinable and resumable (`Last-Event-ID`).
 *
 * Text reaches the log as `streamText` signals the model activity sends in batches. Each batch names
 * its source (the activity id and attempt): text from a new source for a step that already showed
 * text — a retry after a crash, the fallback model — is preceded by a `reset` of that step, and a
 * retired source's late batches are ignored. When the model's answer for a step is recorded, the
 * step is settled: if what the log shows for it differs from the answer (lost batches, a clipped
 * answer, a turn that did not stream), the log resets the step and shows the answer itself. So the
 * chunks of a step, after resets, always equal that step's recorded text; for the last step that
 * is the reply the turn posts.
 *
 * Bounded: chunk text beyond STREAM_MAX_CHARS or events beyond STREAM_MAX_EVENTS are not kept while
 * streaming (settling still shows the answer, which the turn's byte cap bounds); one query answer
 * carries at most STREAM_PAGE_MAX_EVENTS events and about STREAM_PAGE_MAX_CHARS characters.
 *
 * Workflow-safe: no Node imports; the API and the activity import the same definitions.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { splitIntoChunks } from './chunks';

export const STREAM_MAX_EVENTS = 5_000;
export const STREAM_MAX_CHARS = 512_000;
export const STREAM_PAGE_MAX_EVENTS = 200;
export const STREAM_PAGE_MAX_CHARS = 32_000;

export type StreamEventName = 'chunk' | 'reset' | 'tool' | 'approval_required' | 'approval_decided';

export interface StreamEvent {
  /** 1, 2, 3… in the order recorded; the SSE `id`. */
  id: number;
  event: StreamEventName;
  data: Record<string, unknown>;
}

/** Text deltas from one attempt of one model step, in order. */
export interface StreamTextBatch {
  step: number;
  /** The activity id and attempt the text comes from (`model:2#1`). */
  source: string;
  /** 1, 2, 3… within the source; a repeated or older batch is ignored. */
  batch: number;
  text: string;
}

export const streamTextSignal = defineSignal<[StreamTextBatch]>('streamText');

export interface StreamRequest {
  /** Only events with a larger id (0: from the start). */
  after?: number;
}

export interface StreamPage {
  events: StreamEvent[];
  /** The newest event's id; more than the last returned event's id means ask again. */
  lastId: number;
}

export const streamQuery = defineQuery<StreamPage, [StreamRequest?]>('stream');

interface StepText {
  source?: string;
  batch: number;
  text: string;
  settled: boolean;
}

export class StreamLog {
  private lastId = 0;
  private readonly events: StreamEvent[] = [];
  private chars = 0;
  private readonly steps = new Map<number, StepText>();
  private readonly retired = new Set<string>();

  /** A non-text event (tool, approval): always kept, the turn's own caps bound how many there are. */
  append(event: Exclude<StreamEventName, 'chunk' | 'reset'>, data: Record<string, unknown>): void {
    this.push(event, data);
  }

  /** A batch of text as the model writes it (the `streamText` signal). */
  text(batch: StreamTextBatch): void {
    const step = this.stepText(batch.step);
    if (step.settled || this.retired.has(batch.source) || batch.text === '') return;
    if (step.source !== batch.source) {
      if (step.source !== undefined) this.retired.add(step.source);
      if (step.text !== '') this.reset(batch.step, step);
      step.source = batch.source;
      step.batch = 0;
    }
    if (batch.batch <= step.batch) return;
    step.batch = batch.batch;
    if (this.events.length >= STREAM_MAX_EVENTS || this.chars + batch.text.length > STREAM_MAX_CHARS) return;
    this.chunk(batch.step, step, batch.text);
  }

  /**
   * The step's answer is recorded: from now on the log shows exactly `text` for it. Called again
   * for the last step when the reply differs from its text (a capped turn's note).
   */
  settle(stepNumber: number, text: string): void {
    const step = this.stepText(stepNumber);
    step.settled = true;
    if (step.source !== undefined) this.retired.add(step.source);
    if (step.text === text) return;
    if (step.text !== '') this.reset(stepNumber, step);
    for (const piece of splitIntoChunks(text)) this.chunk(stepNumber, step, piece);
  }

  page(request: StreamRequest = {}): StreamPage {
    const after = request.after ?? 0;
    const events: StreamEvent[] = [];
    let chars = 0;
    // Ids are consecutive from 1, so the first event after `after` is at index `after`.
    for (let i = Math.max(0, after); i < this.events.length; i++) {
      const e = this.events[i] as StreamEvent;
      const size = typeof e.data.data === 'string' ? e.data.data.length : 0;
      if (
        events.length >= STREAM_PAGE_MAX_EVENTS ||
        (events.length > 0 && chars + size > STREAM_PAGE_MAX_CHARS)
      )
        break;
      events.push(e);
      chars += size;
    }
    return { events, lastId: this.lastId };
  }

  private chunk(stepNumber: number, step: StepText, text: string): void {
    step.text += text;
    this.chars += text.length;
    this.push('chunk', { data: text, step: stepNumber });
  }

  private reset(stepNumber: number, step: StepText): void {
    step.text = '';
    this.push('reset', { step: stepNumber });
  }

  private push(event: StreamEventName, data: Record<string, unknown>): void {
    this.lastId += 1;
    this.events.push({ id: this.lastId, event, data });
  }

  private stepText(step: number): StepText {
    let s = this.steps.get(step);
    if (!s) {
      s = { batch: 0, text: '', settled: false };
      this.steps.set(step, s);
    }
    return s;
  }
}

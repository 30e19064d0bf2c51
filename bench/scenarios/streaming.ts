/**
 * Streaming: what token streaming costs a turn. Time to first token at a real SSE client
 * (`POST /api/agents/stream` over HTTP) minus the fake model's own time to first token, per turn,
 * at concurrency 1 and 16; and the history a streamed turn adds over the same answer sent without
 * streaming: events, bytes and `streamText` signals for a ~2,000-token answer.
 *
 * The model streams ~8,000 characters as word deltas `gapMs` apart after `firstMs`, as a hosted
 * model does; the fake records when each request arrived and when it wrote its first text delta,
 * in this process, on the same clock as the client.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { STREAM_POLL_MAX_MS, STREAM_POLL_MIN_MS } from '../../src/api/stream-turn';
import { makeAgentTurnId } from '../../src/shared/ids';
import { streamTextSignal } from '../../src/shared/stream';
import { utf8Length } from '../../src/shared/tool-result';
import { postJson, readSse } from '../../test/support/sse';
import { longAnswer, streamMessage, type BenchModel, type StreamShape } from '../lib/fake-model';
import { runLoad } from '../lib/load';
import { SCENARIO_PROFILE } from '../lib/profiles';
import { table, type BenchContext, type Scenario, type Target, scenarioParams } from '../lib/scenario';
import { fmt, fmtSpread, percentiles, spread, type Spread } from '../lib/stats';
import { uniqueQueue } from '../lib/system';
import { REQUEST_TIMEOUT_MS, runLabel, sendTurn, turnBody, turnUserId } from '../lib/turns';

const E = temporal.api.enums.v1.EventType;

/** ~2,000 tokens at ~4 characters per token. */
const ANSWER_CHARS = 8_000;

const FULL = {
  /** 300 ms before the first token, then ~1,300 word deltas 4 ms apart: ~6 s of streaming. */
  answer: { firstMs: 300, chars: ANSWER_CHARS, gapMs: 4 } as StreamShape,
  concurrency: [1, 16],
  turns: { 1: 5, 16: 16 } as Record<number, number>,
  /** Not-streamed turns per repeat, for the history comparison (sizes barely vary). */
  plainTurns: 2,
  repeats: 3,
  timeCapMs: 120_000,
  warmupTurns: 2,
};
const QUICK = {
  answer: { firstMs: 50, chars: ANSWER_CHARS, gapMs: 1 } as StreamShape,
  concurrency: [1, 4],
  turns: { 1: 2, 4: 4 } as Record<number, number>,
  plainTurns: 1,
  repeats: 1,
  timeCapMs: 30_000,
  warmupTurns: 1,
};

const TARGET_TTFT_MS: Record<number, number> = { 1: 150, 16: 400 };
const TARGET_MAX_SIGNALS = 40;
const TARGET_BYTES_PER_ANSWER_BYTE = 2;

/** One streamed turn as the client and the fake model saw it (ms, performance.now() deltas). */
interface StreamSample {
  turnId: string;
  clientTtftMs: number;
  modelTtftMs: number;
  /** POST sent → the model request arrived (start, workflow tasks, the activities before the model). */
  beforeModelMs: number;
  /** Model wrote its first delta → the client read the first chunk (batch, signal, query poll, SSE). */
  firstTextToClientMs: number;
}

interface TtftRun {
  overhead: number[];
  samples: StreamSample[];
  failed: number;
  firstError?: string;
}

export interface TtftRow {
  concurrency: number;
  turnsPerRun: number;
  clientTtftP50: Spread;
  modelTtftP50: Spread;
  overheadP50: Spread;
  overheadP95: Spread;
  beforeModelP50: Spread;
  firstTextToClientP50: Spread;
  failed: number;
  firstError?: string;
}

interface HistoryFigures {
  events: number;
  bytes: number;
  workflowTasks: number;
  signals: number;
  signalEventBytes: number;
}

export interface StreamHistory {
  answerBytes: number;
  plain: { events: Spread; bytes: Spread; workflowTasks: Spread };
  streamed: {
    events: Spread;
    bytes: Spread;
    workflowTasks: Spread;
    signals: Spread;
    signalEventBytes: Spread;
  };
  /** Median streamed − median plain. */
  extraEvents: number;
  extraBytes: number;
  extraWorkflowTasks: number;
}

export const streaming: Scenario<{ rows: TtftRow[]; history: StreamHistory }> = {
  id: 'streaming',
  title: 'Streaming: time to first token and history per streamed turn',
  description:
    'Time to first token at an SSE client minus the model’s own, at concurrency 1 and 16; history a streamed ~2,000-token answer adds.',
  async run(ctx: BenchContext) {
    const p = scenarioParams(ctx, FULL, QUICK);
    const sys = await ctx.system();
    const taskQueue = uniqueQueue('streaming');
    await sys.startWorker({ taskQueue, tuning: SCENARIO_PROFILE.tuning });
    const api = await sys.startApi({ taskQueue });
    try {
      const warm = await streamRun(
        api.url,
        sys.model,
        p.answer,
        runLabel('swarm'),
        2,
        p.warmupTurns,
        p.timeCapMs,
      );
      if (warm.failed) throw new Error(`warm-up streamed turns failed: ${warm.firstError}`);

      const runs = new Map<number, TtftRun[]>();
      const streamedIds: string[] = [];
      const plainIds: string[] = [];
      for (let r = 0; r < p.repeats; r++) {
        for (const c of p.concurrency) {
          const run = await streamRun(
            api.url,
            sys.model,
            p.answer,
            runLabel('stream'),
            c,
            p.turns[c] ?? c,
            p.timeCapMs,
          );
          runs.set(c, [...(runs.get(c) ?? []), run]);
          if (c === 1) streamedIds.push(...run.samples.map((s) => s.turnId));
          const pc = percentiles(run.overhead);
          ctx.log(
            `  repeat ${r + 1}/${p.repeats} c=${c}: TTFT overhead p50 ${fmt(pc.p50)} ms, p95 ${fmt(pc.p95)} ms (${run.samples.length} turns, ${run.failed} failed)`,
          );
        }
        // The same answer without streaming, one at a time like the c=1 streamed turns.
        const label = runLabel('plain');
        const plain = await runLoad({
          count: p.plainTurns,
          concurrency: 1,
          timeCapMs: p.timeCapMs,
          task: sendTurn(api.url, (i) => streamMessage(`${label}-${i}`, p.answer), label),
        });
        if (plain.failed) throw new Error(`not-streamed turns failed: ${plain.firstError}`);
        for (let i = 0; i < plain.completed; i++)
          plainIds.push(makeAgentTurnId(turnUserId(i), `${label}-${i}`));
      }

      const rows: TtftRow[] = p.concurrency.map((c) => {
        const list = runs.get(c) ?? [];
        const p50 = (f: (s: StreamSample) => number) =>
          spread(list.map((run) => percentiles(run.samples.map(f)).p50));
        return {
          concurrency: c,
          turnsPerRun: p.turns[c] ?? c,
          clientTtftP50: p50((s) => s.clientTtftMs),
          modelTtftP50: p50((s) => s.modelTtftMs),
          overheadP50: spread(list.map((run) => percentiles(run.overhead).p50)),
          overheadP95: spread(list.map((run) => percentiles(run.overhead).p95)),
          beforeModelP50: p50((s) => s.beforeModelMs),
          firstTextToClientP50: p50((s) => s.firstTextToClientMs),
          failed: list.reduce((n, run) => n + run.failed, 0),
          firstError: list.find((run) => run.firstError)?.firstError,
        };
      });

      const streamed = await Promise.all(streamedIds.map((id) => historyFigures(sys.client, id)));
      const plain = await Promise.all(plainIds.map((id) => historyFigures(sys.client, id)));
      const of = (list: HistoryFigures[], f: keyof HistoryFigures) => spread(list.map((h) => h[f]));
      const history: StreamHistory = {
        answerBytes: utf8Length(longAnswer(p.answer.chars)),
        plain: {
          events: of(plain, 'events'),
          bytes: of(plain, 'bytes'),
          workflowTasks: of(plain, 'workflowTasks'),
        },
        streamed: {
          events: of(streamed, 'events'),
          bytes: of(streamed, 'bytes'),
          workflowTasks: of(streamed, 'workflowTasks'),
          signals: of(streamed, 'signals'),
          signalEventBytes: of(streamed, 'signalEventBytes'),
        },
        extraEvents: 0,
        extraBytes: 0,
        extraWorkflowTasks: 0,
      };
      history.extraEvents = history.streamed.events.median - history.plain.events.median;
      history.extraBytes = history.streamed.bytes.median - history.plain.bytes.median;
      history.extraWorkflowTasks = history.streamed.workflowTasks.median - history.plain.workflowTasks.median;
      ctx.log(
        `  history: +${fmt(history.extraEvents, 0)} events, +${fmt(history.extraBytes / 1024)} KB, ${fmt(history.streamed.signals.median, 0)} streamText signals`,
      );
      return { ...render(rows, history, p.answer), data: { rows, history } };
    } finally {
      await sys.stopChildren();
    }
  },
};

/** `count` streamed turns, `concurrency` at a time, each read as SSE until `done`. */
async function streamRun(
  apiUrl: string,
  model: BenchModel,
  answer: StreamShape,
  label: string,
  concurrency: number,
  count: number,
  timeCapMs: number,
): Promise<TtftRun> {
  const samples: StreamSample[] = [];
  const res = await runLoad({
    count,
    concurrency,
    timeCapMs,
    task: async (i) => {
      samples.push(await streamedTurn(apiUrl, model, answer, `${label}-${i}`, i));
    },
  });
  return {
    samples,
    overhead: samples.map((s) => s.clientTtftMs - s.modelTtftMs),
    failed: res.failed,
    firstError: res.firstError,
  };
}

async function streamedTurn(
  apiUrl: string,
  model: BenchModel,
  answer: StreamShape,
  id: string,
  i: number,
): Promise<StreamSample> {
  const sentAt = performance.now();
  const res = await postJson(`${apiUrl}/api/agents/stream`, turnBody(i, streamMessage(id, answer)), {
    headers: { 'idempotency-key': id },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (res.status !== 200)
    throw new Error(`stream answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  let turnId: string | undefined;
  let firstChunkAt: number | undefined;
  let text = '';
  let response: string | undefined;
  for await (const e of readSse(res)) {
    if (e.event === 'start') turnId = e.data.turn_id;
    else if (e.event === 'chunk') {
      firstChunkAt ??= performance.now();
      text += e.data.data;
    } else if (e.event === 'reset') text = '';
    else if (e.event === 'done') response = e.data.response;
    else if (e.event === 'error') throw new Error(`stream error: ${e.data.error}`);
  }
  const timing = model.streamTimings.get(id);
  model.streamTimings.delete(id);
  if (!turnId || firstChunkAt === undefined || response === undefined)
    throw new Error(`stream ${id} ended without start, a chunk and done`);
  if (text !== response) throw new Error(`stream ${id}: the chunks do not add up to the response`);
  if (timing?.firstTextAt === undefined) throw new Error(`the fake model never streamed text for ${id}`);
  return {
    turnId,
    clientTtftMs: firstChunkAt - sentAt,
    modelTtftMs: timing.firstTextAt - timing.requestAt,
    beforeModelMs: timing.requestAt - sentAt,
    firstTextToClientMs: firstChunkAt - timing.firstTextAt,
  };
}

async function historyFigures(client: Client, workflowId: string): Promise<HistoryFigures> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const signals = events.filter(
    (e) =>
      e.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED &&
      e.workflowExecutionSignaledEventAttributes?.signalName === streamTextSignal.name,
  );
  return {
    events: events.length,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
    workflowTasks: events.filter((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length,
    signals: signals.length,
    signalEventBytes: signals.reduce(
      (n, e) => n + temporal.api.history.v1.HistoryEvent.encode(e).finish().length,
      0,
    ),
  };
}

function render(rows: TtftRow[], h: StreamHistory, answer: StreamShape) {
  const kb = (s: Spread) => fmtSpread(spread(s.values.map((v) => v / 1024)));
  const markdown = [
    `**Time to first token** (ms; median of the repeats, min–max in brackets). The model waits ${answer.firstMs} ms, then streams ` +
      `~${fmt(answer.chars, 0)} characters (~${fmt(answer.chars / 4, 0)} tokens) as word deltas ${answer.gapMs} ms apart. ` +
      '*Overhead* is, per turn, the client’s time to its first `chunk` minus the model’s own (request received → first delta written); ' +
      'it splits into *before the model* (POST → the model request: starting the workflow, its first tasks and the activities before the model call) ' +
      'and *first delta → client* (the batcher’s first signal, the workflow task that records it, the API’s `stream` query poll, SSE).',
    '',
    table(
      [
        'conc.',
        'client TTFT p50',
        'model TTFT p50',
        'overhead p50',
        'overhead p95',
        'before the model p50',
        'first delta → client p50',
        'turns/run',
        'failed',
      ],
      rows.map((r) => [
        String(r.concurrency),
        fmtSpread(r.clientTtftP50),
        fmtSpread(r.modelTtftP50),
        fmtSpread(r.overheadP50),
        fmtSpread(r.overheadP95),
        fmtSpread(r.beforeModelP50),
        fmtSpread(r.firstTextToClientP50),
        String(r.turnsPerRun),
        String(r.failed),
      ]),
    ),
    '',
    ...rows.filter((r) => r.firstError).map((r) => `Failures at c=${r.concurrency}: ${r.firstError}\n`),
    `**History per turn, same ${fmt(h.answerBytes / 1024)} KB answer** (streamed: the concurrency-1 turns of every repeat; ` +
      'bytes are the encoded `History`):',
    '',
    table(
      ['turn', 'events', 'history KB', 'workflow tasks', 'streamText signals', 'signal events KB'],
      [
        [
          'not streamed (send)',
          fmtSpread(h.plain.events, 0),
          kb(h.plain.bytes),
          fmtSpread(h.plain.workflowTasks, 0),
          '0',
          '0',
        ],
        [
          'streamed',
          fmtSpread(h.streamed.events, 0),
          kb(h.streamed.bytes),
          fmtSpread(h.streamed.workflowTasks, 0),
          fmtSpread(h.streamed.signals, 0),
          kb(h.streamed.signalEventBytes),
        ],
        [
          '**added by streaming**',
          `+${fmt(h.extraEvents, 0)}`,
          `+${fmt(h.extraBytes / 1024)}`,
          `+${fmt(h.extraWorkflowTasks, 0)}`,
          fmt(h.streamed.signals.median, 0),
          `${fmt(h.extraBytes / h.answerBytes, 2)}× the answer`,
        ],
      ],
    ),
    '',
    'Each `streamText` signal is one WorkflowExecutionSignaled event carrying its batch of text, and, unless it lands while a workflow ' +
      'task is already pending, a workflow task of its own (scheduled, started, completed: three more events). The answer itself is ' +
      'recorded once more as the model activity’s result, as without streaming.',
    '',
  ].join('\n');
  return { markdown, charts: [], targets: targets(rows, h) };
}

function targets(rows: TtftRow[], h: StreamHistory): Target[] {
  const out: Target[] = [];
  for (const [c, goal] of Object.entries(TARGET_TTFT_MS).map(([k, v]) => [Number(k), v] as const)) {
    const r = rows.find((x) => x.concurrency === c);
    if (!r) continue;
    const measured = r.overheadP50.median;
    out.push({
      name: `streamed time to first token over the model's, p50, concurrency ${c}`,
      goal: `≤ ${goal} ms`,
      measured: `${fmt(measured)} ms (p95 ${fmt(r.overheadP95.median)} ms)`,
      met: measured <= goal,
      reason:
        `${fmt(r.beforeModelP50.median)} ms before the model is called (workflow start, its first workflow tasks, the activities ` +
        `before the model) and ${fmt(r.firstTextToClientP50.median)} ms from the first delta to the client (first signal, its workflow ` +
        `task, the API's \`stream\` query poll, which has backed off to every ${STREAM_POLL_MAX_MS} ms while the model was silent and ` +
        `polls every ${STREAM_POLL_MIN_MS} ms once events arrive, SSE)` +
        (c > 1
          ? `; ${c} turns share the box's CPUs with the workflow tasks of each other's signals and the API's \`stream\` ` +
            `queries (up to ${1000 / STREAM_POLL_MIN_MS}/s per stream while text arrives, each a round trip through the server to the worker).`
          : '.'),
    });
  }
  const signals = h.streamed.signals.median;
  const perSignalEvents = signals ? h.extraEvents / signals : 0;
  out.push({
    name: `streamText signals per streamed ~${fmt(h.answerBytes / 4, 0)}-token answer`,
    goal: `≤ ${TARGET_MAX_SIGNALS}`,
    measured: fmtSpread(h.streamed.signals, 0),
    met: signals <= TARGET_MAX_SIGNALS,
    reason:
      'The batcher sends the first delta at once, then waits 100 ms doubling to 1 s between batches (or 2 KB), so a stream of a few ' +
      'seconds needs about one signal per second of streaming.',
  });
  const ratio = h.extraBytes / h.answerBytes;
  out.push({
    name: 'history bytes streaming adds per turn',
    goal: `≤ ${TARGET_BYTES_PER_ANSWER_BYTE}× the answer's bytes`,
    measured: `${fmt(ratio, 2)}× (+${fmt(h.extraBytes / 1024)} KB for a ${fmt(h.answerBytes / 1024)} KB answer; +${fmt(h.extraEvents, 0)} events)`,
    met: ratio <= TARGET_BYTES_PER_ANSWER_BYTE,
    reason:
      `The answer's text is in history once more, in the signals (${fmt(h.streamed.signalEventBytes.median / 1024)} KB of signal events), ` +
      `and each of the ${fmt(signals, 0)} signals costs its event plus, mostly, a workflow task's three events ` +
      `(${fmt(perSignalEvents, 1)} events per signal measured, +${fmt(h.extraWorkflowTasks, 0)} workflow tasks).`,
  });
  return out;
}

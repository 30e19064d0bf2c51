/**
 * Sessions: what the session layer (update-with-start of `session/<key>`, the turn as its child,
 * the send polling for its queued turn to start) costs per turn against the direct start of
 * `CLASPER_SESSIONS=false`. Two API processes on one worker and task queue, one per mode, the same
 * plain-reply turn (0 ms model), alternating runs so drift on a shared box hits both. Every turn of
 * a run has its own user, so nothing queues: the figures are the layer's overhead, not a wait.
 * Latency is client-side p50/p95; CPU is seconds per turn of the Temporal server, the worker and
 * the API over the run.
 */
import { measureRun, type MeasuredRun } from '../lib/measure';
import { benchMessage, PLAIN } from '../lib/fake-model';
import { SCENARIO_PROFILE } from '../lib/profiles';
import { table, type BenchContext, type Scenario } from '../lib/scenario';
import { fmt, percentiles } from '../lib/stats';
import { uniqueQueue } from '../lib/system';
import { REQUEST_TIMEOUT_MS, runLabel, type TurnRunner } from '../lib/turns';

const FULL = { concurrency: [1, 8], turns: { 1: 30, 8: 64 } as Record<number, number>, repeats: 2 };
const QUICK = { concurrency: [1], turns: { 1: 4 } as Record<number, number>, repeats: 1 };

/** direct: CLASPER_SESSIONS=false; session-new: every turn opens a session; session-reused: c open sessions. */
type Mode = 'direct' | 'session-new' | 'session-reused';
const MODES: Mode[] = ['direct', 'session-new', 'session-reused'];

export interface SessionRow {
  mode: Mode;
  concurrency: number;
  turns: number;
  failed: number;
  p50Ms: number;
  p95Ms: number;
  /** CPU milliseconds per completed turn. */
  cpuMsPerTurn: { temporal?: number; worker: number; api: number };
}

/** A plain reply as the user `userOf(i)`, waited for like any send. */
function turnAs(apiUrl: string, userOf: (i: number) => string): TurnRunner {
  const message = benchMessage(PLAIN(0));
  return async (i) => {
    const userId = userOf(i);
    const res = await fetch(`${apiUrl}/api/agents/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        user_id: userId,
        session_key: `user:${userId}:lead`,
        message,
        task_title: 'Bench thread',
      }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await res.json()) as { status?: string; error?: string };
    if (res.status !== 200 || body.status !== 'ok')
      throw new Error(`send answered ${res.status}: ${body.error ?? JSON.stringify(body).slice(0, 200)}`);
  };
}

function perTurnMs(run: MeasuredRun, name: string): number {
  return run.load.completed > 0 ? ((run.cpuSec[name] ?? 0) * 1000) / run.load.completed : 0;
}

export const sessions: Scenario<{ rows: SessionRow[] }> = {
  id: 'sessions',
  title: 'Sessions: the cost of ordered turns',
  description:
    'Latency and server CPU per turn through the session layer vs the direct start (CLASPER_SESSIONS=false).',
  async run(ctx: BenchContext) {
    const p = ctx.quick ? QUICK : FULL;
    const sys = await ctx.system();
    const taskQueue = uniqueQueue('sessions');
    const worker = await sys.startWorker({ taskQueue, tuning: SCENARIO_PROFILE.tuning });
    const direct = await sys.startApi({ taskQueue, env: { CLASPER_SESSIONS: 'false' } });
    const session = await sys.startApi({ taskQueue, env: { CLASPER_SESSIONS: 'true' } });
    const apis: Record<Mode, typeof direct> = { direct, 'session-new': session, 'session-reused': session };
    // session-reused: lane-sized sets of users whose sessions stay open across runs; a turn may
    // rarely queue behind its user's previous one when lanes drift.
    const task = (mode: Mode, c: number, label: string) =>
      turnAs(
        apis[mode].url,
        mode === 'session-reused' ? (i) => `sess-c${c}-u${i % c}` : (i) => `${label}-u${i}`,
      );
    const runs = new Map<string, MeasuredRun[]>();
    try {
      for (const mode of MODES) {
        const warm = await measureRun({
          task: task(mode, 4, runLabel(`warm-${mode}`)),
          count: 8,
          concurrency: 4,
          timeCapMs: 30_000,
          workers: [worker],
        });
        if (warm.load.failed) throw new Error(`warm-up failed (${mode}): ${warm.load.firstError}`);
      }
      for (let r = 0; r < p.repeats; r++) {
        for (const c of p.concurrency) {
          // Alternate which mode goes first, so a trend on the box does not favour one.
          const order: Mode[] = r % 2 === 0 ? MODES : [...MODES].reverse();
          for (const mode of order) {
            const run = await measureRun({
              task: task(mode, c, runLabel(`${mode}-${c}`)),
              count: p.turns[c] ?? 10,
              concurrency: c,
              timeCapMs: 120_000,
              temporalPid: sys.temporalPid,
              workers: [worker],
              api: apis[mode],
            });
            const key = `${mode}|${c}`;
            runs.set(key, [...(runs.get(key) ?? []), run]);
            ctx.log(
              `sessions: ${mode} c=${c} repeat ${r + 1}: p50 ${fmt(percentiles(run.load.latenciesMs).p50)} ms`,
            );
          }
        }
      }
    } finally {
      await sys.stopChildren();
    }

    const rows: SessionRow[] = [];
    for (const c of p.concurrency) {
      for (const mode of MODES) {
        const all = runs.get(`${mode}|${c}`) ?? [];
        const latencies = all.flatMap((r) => r.load.latenciesMs);
        const pct = percentiles(latencies);
        const sum = (f: (r: MeasuredRun) => number) =>
          all.reduce((n, r) => n + f(r) * r.load.completed, 0) / Math.max(1, latencies.length);
        rows.push({
          mode,
          concurrency: c,
          turns: latencies.length,
          failed: all.reduce((n, r) => n + r.load.failed, 0),
          p50Ms: pct.p50,
          p95Ms: pct.p95,
          cpuMsPerTurn: {
            ...(sys.temporalPid ? { temporal: sum((r) => perTurnMs(r, 'temporal')) } : {}),
            worker: sum((r) => perTurnMs(r, 'worker 1')),
            api: sum((r) => perTurnMs(r, 'api')),
          },
        });
      }
    }

    const delta = (mode: Mode, c: number, f: (r: SessionRow) => number) => {
      const d = rows.find((r) => r.mode === 'direct' && r.concurrency === c);
      const s = rows.find((r) => r.mode === mode && r.concurrency === c);
      return d && s ? f(s) - f(d) : NaN;
    };
    const cpu = (r: SessionRow) =>
      (r.cpuMsPerTurn.temporal ?? 0) + r.cpuMsPerTurn.worker + r.cpuMsPerTurn.api;
    const markdown = [
      'A plain reply (0 ms model) per turn. `direct` is `CLASPER_SESSIONS=false`; `session-new` opens a',
      "new session for every turn (its own user: the session workflow's start is in the cost);",
      '`session-reused` keeps one open session per lane, as a conversation does. No turn waits for',
      'another, so the difference is what the layer itself costs: the update-with-start of the session,',
      'the turn started as its child, the session task that sees it end. Two API processes (direct,',
      `session) on one worker and task queue, ${p.repeats} repeats in alternating order. CPU is`,
      'milliseconds per turn over each run.',
      '',
      table(
        [
          'mode',
          'concurrency',
          'turns',
          'p50 ms',
          'p95 ms',
          'Temporal CPU ms/turn',
          'worker CPU ms/turn',
          'API CPU ms/turn',
        ],
        rows.map((r) => [
          r.mode,
          String(r.concurrency),
          `${r.turns}${r.failed ? ` (${r.failed} failed)` : ''}`,
          fmt(r.p50Ms),
          fmt(r.p95Ms),
          r.cpuMsPerTurn.temporal === undefined ? '–' : fmt(r.cpuMsPerTurn.temporal, 1),
          fmt(r.cpuMsPerTurn.worker, 1),
          fmt(r.cpuMsPerTurn.api, 1),
        ]),
      ),
      '',
      ...p.concurrency.flatMap((c) =>
        (['session-new', 'session-reused'] as Mode[]).map(
          (mode) =>
            `- concurrency ${c}, ${mode}: ${fmt(delta(mode, c, (r) => r.p50Ms))} ms more at p50, ` +
            `${fmt(delta(mode, c, cpu), 1)} ms more CPU per turn (server + worker + API) than direct.`,
        ),
      ),
    ].join('\n');
    return { markdown, charts: [], targets: [], data: { rows } };
  },
};

/**
 * Turn latency: the durable AgentTurn through the HTTP API versus the in-process baseline, same
 * model and backend, p50/p95/p99 and the ratio durable/baseline at concurrency 1, 8, 32 and 64, for
 * a plain reply and a turn with two tool calls, at 0 ms and 300 ms model latency.
 */
import { makeAgentTurnId } from '../../src/shared/ids';
import { meanAnatomy, turnAnatomy, type Anatomy } from '../lib/anatomy';
import { runLoad } from '../lib/load';
import { PLAIN, TWO_TOOLS, type TurnShape } from '../lib/fake-model';
import { SCENARIO_PROFILE } from '../lib/profiles';
import { table, type BenchContext, type Scenario, type Target, scenarioParams } from '../lib/scenario';
import { fmt, fmtCount, fmtSpread, percentiles, spread, type Spread } from '../lib/stats';
import { barChart } from '../lib/svg';
import { uniqueQueue } from '../lib/system';
import { GOALS } from '../lib/targets';
import { baselineTurn, durableTurn, runLabel, turnUserId } from '../lib/turns';

const FULL = {
  modelLatenciesMs: [0, 300],
  concurrency: [1, 8, 32, 64],
  /**
   * Turns per run by concurrency: one wave at 8, 32 and 64 (every lane one turn), a short series
   * at 1. The reference box runs ~10 durable turns/s, so more would blow the 15-minute budget.
   */
  turns: { 1: 5, 8: 8, 32: 32, 64: 64 } as Record<number, number>,
  repeats: 3,
  timeCapMs: 30_000,
  warmupTurns: 8,
};
const QUICK = {
  modelLatenciesMs: [0],
  concurrency: [1, 4],
  turns: { 1: 3, 4: 4 } as Record<number, number>,
  repeats: 1,
  timeCapMs: 10_000,
  warmupTurns: 2,
};

const SHAPES: { name: string; shape: (latencyMs: number) => TurnShape }[] = [
  { name: 'plain reply', shape: PLAIN },
  { name: 'two tool calls', shape: TWO_TOOLS },
];

interface RunFigures {
  p50: number;
  p95: number;
  p99: number;
  count: number;
  failed: number;
  turnsPerSec: number;
}

export interface LatencyRow {
  modelLatencyMs: number;
  shape: string;
  concurrency: number;
  durable: { p50: Spread; p95: Spread; p99: Spread };
  baseline: { p50: Spread; p95: Spread; p99: Spread };
  ratio: { p50: Spread; p95: Spread; p99: Spread };
  turnsPerRun: number;
  /** Durable turns completed per second of the run (what the box sustained at this concurrency). */
  durableTurnsPerSec: Spread;
  failed: number;
  firstError?: string;
}

export interface AnatomyRow {
  modelLatencyMs: number;
  shape: string;
  /** Mean client-side latency of the same turns. */
  clientMs: number;
  baselineMs: number;
  anatomy: Anatomy;
}

export const turnLatency: Scenario<{ rows: LatencyRow[]; anatomy: AnatomyRow[] }> = {
  id: 'turn-latency',
  title: 'Turn latency: durable vs baseline',
  description:
    'Per-turn latency (p50/p95/p99) of the durable turn over HTTP vs the in-process baseline, by concurrency.',
  async run(ctx: BenchContext) {
    const p = scenarioParams(ctx, FULL, QUICK);
    const sys = await ctx.system();
    const taskQueue = uniqueQueue('latency');
    await sys.startWorker({ taskQueue, tuning: SCENARIO_PROFILE.tuning });
    const api = await sys.startApi({ taskQueue });
    const config = sys.config(taskQueue);

    try {
      // Warm both paths (JIT, connections, the task row, the sticky cache) before measuring.
      for (const s of SHAPES) {
        const shape = s.shape(0);
        await runLoad({
          count: p.warmupTurns,
          concurrency: 4,
          timeCapMs: 30_000,
          task: baselineTurn(config, shape),
        });
        const warm = await runLoad({
          count: p.warmupTurns,
          concurrency: 4,
          timeCapMs: 30_000,
          task: durableTurn(api.url, shape, runLabel('warm')),
        });
        if (warm.failed) throw new Error(`warm-up turns failed: ${warm.firstError}`);
      }

      type Key = string;
      const runs = new Map<Key, { durable: RunFigures[]; baseline: RunFigures[]; errors: string[] }>();
      // Every repeat's concurrency-1 durable turns, to read where their time went (median repeat).
      const singles = new Map<
        Key,
        { label: string; count: number; clientMs: number; baselineMs: number; p50: number }[]
      >();
      const key = (lat: number, shape: string, c: number) => `${lat}|${shape}|${c}`;
      for (let r = 0; r < p.repeats; r++) {
        for (const lat of p.modelLatenciesMs) {
          for (const s of SHAPES) {
            for (const c of p.concurrency) {
              const count = p.turns[c] ?? 10;
              const shape = s.shape(lat);
              const entry = runs.get(key(lat, s.name, c)) ?? { durable: [], baseline: [], errors: [] };
              runs.set(key(lat, s.name, c), entry);
              // Side by side: the baseline and the durable path back to back, every repeat.
              const b = await runLoad({
                count,
                concurrency: c,
                timeCapMs: p.timeCapMs,
                task: baselineTurn(config, shape),
              });
              const label = runLabel('lat');
              const d = await runLoad({
                count,
                concurrency: c,
                timeCapMs: p.timeCapMs,
                task: durableTurn(api.url, shape, label),
              });
              if (c === 1) {
                const list = singles.get(key(lat, s.name, c)) ?? [];
                list.push({
                  label,
                  count: d.completed,
                  clientMs: avg(d.latenciesMs),
                  baselineMs: avg(b.latenciesMs),
                  p50: percentiles(d.latenciesMs).p50,
                });
                singles.set(key(lat, s.name, c), list);
              }
              for (const res of [b, d]) if (res.firstError) entry.errors.push(res.firstError);
              entry.baseline.push({
                ...percentiles(b.latenciesMs),
                failed: b.failed,
                turnsPerSec: b.completed / (b.wallMs / 1000),
              });
              entry.durable.push({
                ...percentiles(d.latenciesMs),
                failed: d.failed,
                turnsPerSec: d.completed / (d.wallMs / 1000),
              });
              ctx.log(
                `  repeat ${r + 1}/${p.repeats} model ${lat} ms, ${s.name}, c=${c}: durable p50 ${fmt(percentiles(d.latenciesMs).p50)} ms, baseline p50 ${fmt(percentiles(b.latenciesMs).p50)} ms`,
              );
            }
          }
        }
      }

      const rows: LatencyRow[] = [];
      for (const lat of p.modelLatenciesMs) {
        for (const s of SHAPES) {
          for (const c of p.concurrency) {
            const e = runs.get(key(lat, s.name, c));
            if (!e) continue;
            const fig = (list: RunFigures[], f: 'p50' | 'p95' | 'p99') => spread(list.map((x) => x[f]));
            const ratio = (f: 'p50' | 'p95' | 'p99') =>
              spread(e.durable.map((d, i) => d[f] / (e.baseline[i]?.[f] ?? NaN)));
            rows.push({
              modelLatencyMs: lat,
              shape: s.name,
              concurrency: c,
              durable: { p50: fig(e.durable, 'p50'), p95: fig(e.durable, 'p95'), p99: fig(e.durable, 'p99') },
              baseline: {
                p50: fig(e.baseline, 'p50'),
                p95: fig(e.baseline, 'p95'),
                p99: fig(e.baseline, 'p99'),
              },
              ratio: { p50: ratio('p50'), p95: ratio('p95'), p99: ratio('p99') },
              turnsPerRun: p.turns[c] ?? 10,
              durableTurnsPerSec: spread(e.durable.map((x) => x.turnsPerSec)),
              failed: [...e.durable, ...e.baseline].reduce((n, x) => n + x.failed, 0),
              firstError: e.errors[0],
            });
          }
        }
      }
      const anatomy: AnatomyRow[] = [];
      for (const lat of p.modelLatenciesMs) {
        for (const s of SHAPES) {
          const all = [...(singles.get(key(lat, s.name, 1)) ?? [])].sort((a, b) => a.p50 - b.p50);
          const one = all[Math.floor((all.length - 1) / 2)];
          if (!one) continue;
          const ids = Array.from({ length: one.count }, (_, i) =>
            makeAgentTurnId(turnUserId(i), `${one.label}-${i}`),
          );
          const list = await Promise.all(ids.map((id) => turnAnatomy(sys.client, id)));
          anatomy.push({
            modelLatencyMs: lat,
            shape: s.name,
            clientMs: one.clientMs,
            baselineMs: one.baselineMs,
            anatomy: meanAnatomy(list),
          });
        }
      }
      const out = render(rows, anatomy);
      return { ...out, markdown: `${out.markdown}\n${renderAnatomy(anatomy)}`, data: { rows, anatomy } };
    } finally {
      await sys.stopChildren();
    }
  },
};

function avg(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function renderAnatomy(rows: AnatomyRow[]): string {
  if (rows.length === 0) return '';
  return [
    "**Where a durable turn's time goes** (concurrency 1, the repeat with the median p50, mean per turn in ms, from the workflow history's server " +
      'timestamps): *task wait* is a workflow task waiting to be picked up by the worker, *workflow code* is the worker running ' +
      'the workflow and the server recording its decisions, *activities* are scheduled → completed (run plus recording), and ' +
      "*API and hand-off* is the rest of the client's latency (HTTP, starting the workflow, getting the result back).",
    '',
    table(
      [
        'model',
        'turn',
        'baseline',
        'durable',
        'workflow tasks',
        'task wait',
        'workflow code',
        'activities',
        'of which model',
        'API and hand-off',
      ],
      rows.map((r) => [
        `${r.modelLatencyMs} ms`,
        r.shape,
        fmt(r.baselineMs),
        fmt(r.clientMs),
        fmt(r.anatomy.workflowTasks, 0),
        fmt(r.anatomy.wftQueueMs),
        fmt(r.anatomy.wftRunMs),
        `${fmt(r.anatomy.modelMs + r.anatomy.otherActivityMs)} (${fmt(r.anatomy.activities, 0)})`,
        fmt(r.anatomy.modelMs),
        fmt(r.clientMs - r.anatomy.serverSpanMs),
      ]),
    ),
    '',
  ].join('\n');
}

function render(rows: LatencyRow[], anatomy: AnatomyRow[]) {
  const parts: string[] = [];
  const charts = [];
  for (const lat of [...new Set(rows.map((r) => r.modelLatencyMs))]) {
    const sub = rows.filter((r) => r.modelLatencyMs === lat);
    parts.push(
      `**Model latency ${lat} ms** (ms; median of the repeats, min–max in brackets; ratio = durable / baseline per repeat)\n`,
      table(
        [
          'turn',
          'conc.',
          'durable p50',
          'durable p95',
          'durable p99',
          'baseline p50',
          'baseline p95',
          'baseline p99',
          'ratio p50',
          'ratio p95',
          'ratio p99',
          'turns/run',
          'failed',
        ],
        sub.map((r) => [
          r.shape,
          String(r.concurrency),
          fmtSpread(r.durable.p50),
          fmtSpread(r.durable.p95),
          fmtSpread(r.durable.p99),
          fmtSpread(r.baseline.p50),
          fmtSpread(r.baseline.p95),
          fmtSpread(r.baseline.p99),
          fmtSpread(r.ratio.p50, 2),
          fmtSpread(r.ratio.p95, 2),
          fmtSpread(r.ratio.p99, 2),
          String(r.turnsPerRun),
          String(r.failed),
        ]),
      ),
      '',
    );
    const errors = sub.filter((r) => r.firstError);
    if (errors.length)
      parts.push(
        `Failures: ${errors.map((r) => `${r.shape} c=${r.concurrency}: ${r.firstError}`).join('; ')}\n`,
      );
    for (const shapeName of [...new Set(sub.map((r) => r.shape))]) {
      const s = sub.filter((r) => r.shape === shapeName);
      const file = `turn-latency-${lat}ms-${shapeName.replace(/\s+/g, '-')}.svg`;
      charts.push({
        file,
        title: `p50 latency, ${shapeName}, model ${lat} ms`,
        svg: barChart({
          title: `Turn p50, ${shapeName}, model latency ${lat} ms`,
          yLabel: 'ms (p50; whisker = min–max of repeats)',
          categories: s.map((r) => `c=${r.concurrency}`),
          series: [
            {
              name: 'durable (HTTP + Temporal)',
              values: s.map((r) => ({
                value: r.durable.p50.median,
                lo: r.durable.p50.min,
                hi: r.durable.p50.max,
              })),
            },
            {
              name: 'baseline (in-process)',
              values: s.map((r) => ({
                value: r.baseline.p50.median,
                lo: r.baseline.p50.min,
                hi: r.baseline.p50.max,
              })),
            },
          ],
        }),
      });
    }
  }
  return { markdown: parts.join('\n'), charts, targets: targets(rows, anatomy) };
}

function targets(rows: LatencyRow[], anatomy: AnatomyRow[]): Target[] {
  const out: Target[] = [];
  const find = (lat: number, shape: string, c: number) =>
    rows.find((r) => r.modelLatencyMs === lat && r.concurrency === c && r.shape === shape);
  const anatomyOf = (lat: number, shape: string) =>
    anatomy.find((x) => x.modelLatencyMs === lat && x.shape === shape);
  /** Where the time a concurrency-1 turn spends beyond the baseline went, from its history. */
  const overheadWhy = (lat: number, shape: string, extra: number) => {
    const a = anatomyOf(lat, shape);
    if (!a) return `Temporal and the API add ${fmt(extra)} ms per turn at p50 (no anatomy measured).`;
    const t = a.anatomy;
    return (
      `Durable adds ${fmt(extra)} ms per turn at p50: ${fmt(t.workflowTasks, 0)} workflow tasks (${fmt(t.wftQueueMs)} ms waiting ` +
      `for the worker, ${fmt(t.wftRunMs)} ms running them with their local activities and recording the result), ` +
      `${fmtCount(t.activities, 'regular activity', 'regular activities')} (${fmt(t.otherActivityMs)} ms beside the model's own ${fmt(t.modelMs)} ms), and ` +
      `${fmt(a.clientMs - t.serverSpanMs)} ms of API and hand-off (section 1's anatomy table).`
    );
  };
  const queueWhy = (row: LatencyRow, extra: number, met: boolean) =>
    `The durable path completed ${fmt(row.durableTurnsPerSec.median)} turns/s at this concurrency, where 32 lanes at the ` +
    `baseline's p50 would ask for ~${fmt(32 / (row.baseline.p50.median / 1000), 0)}, so ${met ? 'turns wait little for CPU' : '32 turns in flight queue for CPU'}: ` +
    `+${fmt(extra)} ms at p50 (section 2: CPU per turn of the Temporal server and the worker).`;
  const ratioGoals: [number, number][] = [
    [1, GOALS.c1P50Ratio],
    [32, GOALS.c32P50Ratio],
  ];
  for (const [c, goal] of ratioGoals) {
    for (const shape of ['plain reply', 'two tool calls']) {
      const row = find(300, shape, c);
      if (!row) continue;
      const ratio = row.ratio.p50.median;
      const extra = row.durable.p50.median - row.baseline.p50.median;
      const met = ratio <= goal;
      const why = c === 1 ? overheadWhy(300, shape, extra) : queueWhy(row, extra, met);
      out.push({
        name: `p50 at 300 ms model latency, concurrency ${c}, ${shape}`,
        goal: `durable ≤ ${goal}× baseline`,
        measured: `${fmt(ratio, 2)}× (${fmt(row.durable.p50.median)} vs ${fmt(row.baseline.p50.median)} ms)`,
        met,
        reason: met && c === 1 ? `Within the ${Math.round((goal - 1) * 100)}% budget. ${why}` : why,
      });
    }
  }
  const zero = find(0, 'plain reply', 1);
  if (zero) {
    const p50 = zero.durable.p50.median;
    const met = p50 <= GOALS.zeroModelC1P50Ms;
    const a = anatomyOf(0, 'plain reply');
    out.push({
      name: 'a plain turn end to end, 0 ms model, concurrency 1 (p50)',
      goal: `≤ ${GOALS.zeroModelC1P50Ms} ms`,
      measured: `${fmt(p50)} ms (baseline ${fmt(zero.baseline.p50.median)} ms)`,
      met,
      reason: a
        ? `${fmt(a.anatomy.workflowTasks, 0)} workflow tasks: ${fmt(a.anatomy.wftQueueMs)} ms waiting to be picked up, ` +
          `${fmt(a.anatomy.wftRunMs)} ms running and recording them; ${fmt(a.anatomy.modelMs + a.anatomy.otherActivityMs)} ms in ` +
          `${fmtCount(a.anatomy.activities, 'regular activity', 'regular activities')}; ${fmt(a.clientMs - a.anatomy.serverSpanMs)} ms of API and hand-off (mean per turn).`
        : 'No anatomy measured.',
    });
  }
  return out;
}

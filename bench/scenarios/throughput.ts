/**
 * Throughput: turns per second with one and with two worker processes against the in-process
 * baseline, at saturation (0 ms model, concurrency 64) and at concurrency 32 with a 300 ms model
 * (plain replies; tool turns cost more, see turn-latency), with where the CPU goes (Temporal
 * server, workers, API, bench process) and event-loop lag.
 */
import os from 'node:os';
import type { Child } from '../lib/children';
import { PLAIN, type TurnShape } from '../lib/fake-model';
import { measureRun, type MeasuredRun } from '../lib/measure';
import { SCENARIO_PROFILE } from '../lib/profiles';
import { table, type BenchContext, type Scenario, type Target, scenarioParams } from '../lib/scenario';
import { fmt, fmtSpread, spread, type Spread } from '../lib/stats';
import { barChart } from '../lib/svg';
import { uniqueQueue } from '../lib/system';
import { GOALS } from '../lib/targets';
import { baselineTurn, durableTurn, runLabel } from '../lib/turns';

/** The machine's cores: busy % is of all of them (navigator.hardwareConcurrency is Node 21+). */
const CORES = os.availableParallelism();

interface Condition {
  name: string;
  shape: TurnShape;
  concurrency: number;
  turns: number;
}

const FULL = {
  conditions: [
    // ~10 durable turns/s on the reference box: these counts keep each run to 5-8 s.
    { name: 'saturation: model 0 ms, c=64, plain reply', shape: PLAIN(0), concurrency: 64, turns: 64 },
    { name: 'model 300 ms, c=32, plain reply', shape: PLAIN(300), concurrency: 32, turns: 64 },
  ] as Condition[],
  repeats: 3,
  timeCapMs: 20_000,
};
const QUICK = {
  conditions: [
    { name: 'model 0 ms, c=4, plain reply', shape: PLAIN(0), concurrency: 4, turns: 6 },
  ] as Condition[],
  repeats: 1,
  timeCapMs: 10_000,
};

export interface ThroughputRow {
  condition: string;
  setup: 'baseline' | '1 worker' | '2 workers';
  turnsPerSec: Spread;
  /** durable / baseline turns per second, per repeat (baseline of the same phase). */
  ratio?: Spread;
  /** CPU ms per completed turn, per process. */
  cpuMsPerTurn: Record<string, Spread>;
  /** Share of the machine's CPUs used during the run, %. */
  cpuBusyPct: Spread;
  lagP99: Record<string, Spread>;
  failed: number;
  firstError?: string;
}

export const throughput: Scenario<{ rows: ThroughputRow[] }> = {
  id: 'throughput',
  title: 'Throughput and where the time goes',
  description:
    'Turns per second with one and two worker processes vs the baseline, CPU per process per turn, event-loop lag.',
  async run(ctx: BenchContext) {
    const p = scenarioParams(ctx, FULL, QUICK);
    const sys = await ctx.system();
    const config = sys.config('unused');
    const rows: ThroughputRow[] = [];
    const taskQueue = uniqueQueue('throughput');
    try {
      const workers: Child[] = [await sys.startWorker({ taskQueue, tuning: SCENARIO_PROFILE.tuning })];
      const api = await sys.startApi({ taskQueue });
      for (const setup of ['1 worker', '2 workers'] as const) {
        if (setup === '2 workers')
          workers.push(await sys.startWorker({ taskQueue, tuning: SCENARIO_PROFILE.tuning }));
        // Warm the new worker set (sticky caches, JIT) so the first measured run is not the cold one.
        await measureRun({
          task: durableTurn(api.url, PLAIN(0), runLabel('warm')),
          count: 8 * workers.length,
          concurrency: 8,
          timeCapMs: 30_000,
          workers,
        });
        const base = new Map<string, MeasuredRun[]>();
        const dur = new Map<string, MeasuredRun[]>();
        for (let r = 0; r < p.repeats; r++) {
          for (const c of p.conditions) {
            const common = {
              count: c.turns,
              concurrency: c.concurrency,
              timeCapMs: p.timeCapMs,
              temporalPid: sys.temporalPid,
              api,
            };
            const b = await measureRun({ ...common, task: baselineTurn(config, c.shape), workers: [] });
            const d = await measureRun({
              ...common,
              task: durableTurn(api.url, c.shape, runLabel('tp')),
              workers,
            });
            base.set(c.name, [...(base.get(c.name) ?? []), b]);
            dur.set(c.name, [...(dur.get(c.name) ?? []), d]);
            ctx.log(
              `  ${setup}, repeat ${r + 1}/${p.repeats}, ${c.name}: durable ${fmt(d.turnsPerSec)} turns/s, baseline ${fmt(b.turnsPerSec)} turns/s`,
            );
          }
        }
        for (const c of p.conditions) {
          const bs = base.get(c.name) ?? [];
          const ds = dur.get(c.name) ?? [];
          if (setup === '1 worker') rows.push(summarise(c.name, 'baseline', bs));
          rows.push({
            ...summarise(c.name, setup, ds),
            ratio: spread(ds.map((d, i) => d.turnsPerSec / (bs[i]?.turnsPerSec ?? NaN))),
          });
        }
      }
    } finally {
      await sys.stopChildren();
    }
    return { ...render(rows), data: { rows } };
  },
};

function summarise(condition: string, setup: ThroughputRow['setup'], runs: MeasuredRun[]): ThroughputRow {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.cpuSec)))];
  const cpuMsPerTurn: Record<string, Spread> = {};
  for (const n of names)
    cpuMsPerTurn[n] = spread(runs.map((r) => ((r.cpuSec[n] ?? 0) * 1000) / Math.max(1, r.load.completed)));
  const lagNames = [...new Set(runs.flatMap((r) => Object.keys(r.lag)))];
  const lagP99: Record<string, Spread> = {};
  for (const n of lagNames) lagP99[n] = spread(runs.map((r) => r.lag[n]?.p99 ?? NaN));
  return {
    condition,
    setup,
    turnsPerSec: spread(runs.map((r) => r.turnsPerSec)),
    cpuMsPerTurn,
    cpuBusyPct: spread(
      runs.map((r) => (Object.values(r.cpuSec).reduce((a, b) => a + b, 0) / r.wallSec / CORES) * 100),
    ),
    lagP99,
    failed: runs.reduce((n, r) => n + r.load.failed, 0),
    firstError: runs.find((r) => r.load.firstError)?.load.firstError,
  };
}

function render(rows: ThroughputRow[]) {
  const procs = ['temporal', 'worker 1', 'worker 2', 'api', 'bench'];
  const present = procs.filter((n) => rows.some((r) => r.cpuMsPerTurn[n]));
  const cpu = (r: ThroughputRow, n: string) => (r.cpuMsPerTurn[n] ? fmtSpread(r.cpuMsPerTurn[n]) : '–');
  const markdown = [
    '**Turns per second** (median of repeats, min–max; ratio = durable / baseline of the same repeat)',
    '',
    table(
      ['condition', 'setup', 'turns/s', 'ratio to baseline', 'machine CPU busy %', 'failed'],
      rows.map((r) => [
        r.condition,
        r.setup,
        fmtSpread(r.turnsPerSec),
        r.ratio ? fmtSpread(r.ratio, 2) : '1',
        fmtSpread(r.cpuBusyPct, 0),
        String(r.failed),
      ]),
    ),
    '',
    '**Where the time goes**: CPU milliseconds per completed turn, by process (the bench process hosts the load generator, the ' +
      'reference backend, the fake model and, for the baseline, the whole turn).',
    '',
    table(
      [
        'condition',
        'setup',
        ...present.map((n) => `${n} CPU ms/turn`),
        'worker lag p99 ms',
        'bench lag p99 ms',
      ],
      rows.map((r) => [
        r.condition,
        r.setup,
        ...present.map((n) => cpu(r, n)),
        ['worker 1', 'worker 2']
          .filter((n) => r.lagP99[n])
          .map((n) => fmtSpread(r.lagP99[n] as Spread))
          .join(' / ') || '–',
        r.lagP99.bench ? fmtSpread(r.lagP99.bench) : '–',
      ]),
    ),
    '',
    ...rows.filter((r) => r.firstError).map((r) => `Failures in ${r.condition}, ${r.setup}: ${r.firstError}`),
  ].join('\n');
  const conditions = [...new Set(rows.map((r) => r.condition))];
  const chart = barChart({
    title: 'Turns per second',
    yLabel: 'turns/s (whisker = min–max)',
    categories: conditions.map((c) =>
      c
        .replace(/^saturation: /, '')
        .replace(/, /g, ' ')
        .replace('model ', '')
        .replace(' reply', '')
        .replace('two tool calls', '2 tools'),
    ),
    series: (['baseline', '1 worker', '2 workers'] as const).map((setup) => ({
      name: setup === 'baseline' ? 'baseline (in-process)' : `durable, ${setup}`,
      values: conditions.map((c) => {
        const r = rows.find((x) => x.condition === c && x.setup === setup);
        return r
          ? { value: r.turnsPerSec.median, lo: r.turnsPerSec.min, hi: r.turnsPerSec.max }
          : { value: NaN };
      }),
    })),
  });
  return {
    markdown,
    charts: [{ file: 'throughput.svg', title: 'Turns per second', svg: chart }],
    targets: targets(rows),
  };
}

function targets(rows: ThroughputRow[]): Target[] {
  const r = rows.find(
    (x) => x.condition.startsWith('model 300 ms, c=32') && x.setup === '1 worker' && x.ratio,
  );
  if (!r) return [];
  const base = rows.find((x) => x.condition === r.condition && x.setup === 'baseline');
  const two = rows.find((x) => x.condition === r.condition && x.setup === '2 workers');
  const ratio = (r.ratio as Spread).median;
  const worker = r.cpuMsPerTurn['worker 1']?.median ?? NaN;
  const temporal = r.cpuMsPerTurn.temporal?.median;
  const api = r.cpuMsPerTurn.api?.median ?? NaN;
  const baseCpu = base?.cpuMsPerTurn.bench?.median ?? NaN;
  const busy = r.cpuBusyPct.median;
  const perTurn = worker + (temporal ?? 0) + api;
  const out: Target[] = [];
  const tputMet = ratio >= GOALS.c32ThroughputRatio;
  out.push({
    name: 'throughput at concurrency 32, 300 ms model, plain reply (1 worker)',
    goal: `≥ ${GOALS.c32ThroughputRatio}× baseline`,
    measured: `${fmt(ratio, 2)}× (${fmt(r.turnsPerSec.median)} vs ${fmt(base?.turnsPerSec.median ?? NaN)} turns/s)`,
    met: tputMet,
    reason:
      `A durable turn cost ${fmt(perTurn, 0)} ms of CPU here (worker ${fmt(worker, 0)}, Temporal ${temporal === undefined ? 'not measured' : fmt(temporal, 0)}, API ${fmt(api, 0)}) ` +
      `against ${fmt(baseCpu, 0)} ms for a whole baseline turn; ${CORES} cores at ${fmt(busy, 0)}% busy in total ` +
      `${tputMet ? 'kept up with' : 'cap the durable path below'} the ~${fmt(base?.turnsPerSec.median ?? NaN, 0)} turns/s 32 lanes ask for` +
      (two ? `; a second worker gave ${fmt(two.turnsPerSec.median)} turns/s.` : '.'),
  });
  out.push({
    name: 'worker CPU per plain turn (300 ms model, concurrency 32)',
    goal: `≤ ${GOALS.workerCpuMsPerTurn} ms`,
    measured: `${fmtSpread(r.cpuMsPerTurn['worker 1'] ?? spread([]))} ms`,
    met: worker <= GOALS.workerCpuMsPerTurn,
    reason:
      worker <= GOALS.workerCpuMsPerTurn
        ? 'Process CPU (all threads, /proc) divided by the turns completed in the run.'
        : `Process CPU of the worker (all threads, /proc) per completed turn; bench/TUNING.md has its CPU profile (\`npm run bench:profile\`): ` +
          'most of it is the SDK running each workflow activation in its V8 sandbox (promise hooks, stack capture, the deadlock watchdog) and moving activations between threads, not Clasper code.',
  });
  if (temporal !== undefined)
    out.push({
      name: 'Temporal server CPU per plain turn (300 ms model, concurrency 32)',
      goal: `≤ ${GOALS.temporalCpuMsPerTurn} ms`,
      measured: `${fmtSpread(r.cpuMsPerTurn.temporal as Spread)} ms`,
      met: temporal <= GOALS.temporalCpuMsPerTurn,
      reason:
        'Dev server process CPU (/proc) per completed turn: every workflow task, activity and marker is a persisted history update ' +
        `on one shard in SQLite; section 1's anatomy counts them per turn.`,
    });
  return out;
}

/**
 * Memory: resident memory (RSS) of a worker process and of the API process at idle and while 64
 * turns are in flight (two tool calls, 300 ms model), sampled every 100 ms from /proc.
 */
import { TWO_TOOLS } from '../lib/fake-model';
import { runLoad } from '../lib/load';
import { RssSampler } from '../lib/proc';
import { SCENARIO_PROFILE } from '../lib/profiles';
import { table, type BenchContext, type Scenario, type Target, scenarioParams } from '../lib/scenario';
import { fmt, fmtSpread, spread, type Spread } from '../lib/stats';
import { barChart } from '../lib/svg';
import { uniqueQueue } from '../lib/system';
import { GOALS } from '../lib/targets';
import { durableTurn, runLabel } from '../lib/turns';

const FULL = {
  concurrency: 64,
  turns: 64,
  repeats: 3,
  idleSampleMs: 1_000,
  settleMs: 1_000,
  timeCapMs: 40_000,
};
const QUICK = { concurrency: 4, turns: 4, repeats: 1, idleSampleMs: 300, settleMs: 200, timeCapMs: 10_000 };

export interface MemoryRow {
  process: string;
  idleMiB: Spread;
  loadPeakMiB: Spread;
  loadMeanMiB: Spread;
  afterMiB: Spread;
}

export const memory: Scenario<{ rows: MemoryRow[]; concurrency: number }> = {
  id: 'memory',
  title: 'Memory: worker and API RSS',
  description: 'Resident memory of a worker and the API process at idle and with 64 turns in flight.',
  async run(ctx: BenchContext) {
    const p = scenarioParams(ctx, FULL, QUICK);
    const sys = await ctx.system();
    const taskQueue = uniqueQueue('memory');
    const worker = await sys.startWorker({ taskQueue, tuning: SCENARIO_PROFILE.tuning });
    const api = await sys.startApi({ taskQueue });
    const pids: Record<string, number> = { worker: worker.pid, api: api.pid };
    if (sys.temporalPid) pids['temporal server'] = sys.temporalPid;
    const mib = (b: number) => b / 1024 / 1024;
    const samples = new Map<string, { idle: number[]; peak: number[]; mean: number[]; after: number[] }>();
    const entry = (name: string) => {
      const e = samples.get(name) ?? { idle: [], peak: [], mean: [], after: [] };
      samples.set(name, e);
      return e;
    };
    try {
      // A few turns first: "idle" means a system that has served traffic, not a process that just started.
      await runLoad({
        count: 8,
        concurrency: 4,
        timeCapMs: 30_000,
        task: durableTurn(api.url, TWO_TOOLS(0), runLabel('warm')),
      });
      const shape = TWO_TOOLS(300);
      for (let r = 0; r < p.repeats; r++) {
        await new Promise((res) => setTimeout(res, p.settleMs));
        const idle = new RssSampler(pids).start();
        await new Promise((res) => setTimeout(res, p.idleSampleMs));
        const idleStats = idle.stop();
        const loaded = new RssSampler(pids).start();
        const res = await runLoad({
          count: p.turns,
          concurrency: p.concurrency,
          timeCapMs: p.timeCapMs,
          task: durableTurn(api.url, shape, runLabel('mem')),
        });
        const loadStats = loaded.stop();
        if (res.failed) throw new Error(`${res.failed} turns failed under load: ${res.firstError}`);
        await new Promise((r2) => setTimeout(r2, p.settleMs));
        const after = new RssSampler(pids).start().stop();
        for (const name of Object.keys(pids)) {
          const e = entry(name);
          e.idle.push(mib(idleStats[name]?.mean ?? NaN));
          e.peak.push(mib(loadStats[name]?.peak ?? NaN));
          e.mean.push(mib(loadStats[name]?.mean ?? NaN));
          e.after.push(mib(after[name]?.peak ?? NaN));
        }
        ctx.log(
          `  repeat ${r + 1}/${p.repeats}: worker ${fmt(mib(idleStats.worker?.mean ?? NaN))} → ${fmt(mib(loadStats.worker?.peak ?? NaN))} MiB, api ${fmt(mib(idleStats.api?.mean ?? NaN))} → ${fmt(mib(loadStats.api?.peak ?? NaN))} MiB`,
        );
      }
    } finally {
      await sys.stopChildren();
    }
    const rows: MemoryRow[] = [...samples].map(([process, e]) => ({
      process,
      idleMiB: spread(e.idle),
      loadPeakMiB: spread(e.peak),
      loadMeanMiB: spread(e.mean),
      afterMiB: spread(e.after),
    }));
    const markdown = [
      table(
        [
          'process',
          'idle MiB',
          `peak MiB, ${p.concurrency} in flight`,
          `mean MiB, ${p.concurrency} in flight`,
          `MiB ${p.settleMs / 1000} s after the load`,
        ],
        rows.map((r) => [
          r.process,
          fmtSpread(r.idleMiB),
          fmtSpread(r.loadPeakMiB),
          fmtSpread(r.loadMeanMiB),
          fmtSpread(r.afterMiB),
        ]),
      ),
      '',
      `RSS from /proc/<pid>/status, sampled every 100 ms. Load: ${p.turns} turns with two tool calls and a 300 ms model, ` +
        `${p.concurrency} at a time, through the API. The worker runs the prebuilt workflow bundle (no webpack in the process) ` +
        `with profile \`${SCENARIO_PROFILE.name}\`; its workflow cache keeps recent turns after the load, so "after" stays above "idle".`,
    ].join('\n');
    const chart = barChart({
      title: 'Resident memory',
      yLabel: 'MiB (whisker = min–max)',
      categories: rows.map((r) => r.process),
      series: [
        {
          name: 'idle',
          values: rows.map((r) => ({ value: r.idleMiB.median, lo: r.idleMiB.min, hi: r.idleMiB.max })),
        },
        {
          name: `peak, ${p.concurrency} in flight`,
          values: rows.map((r) => ({
            value: r.loadPeakMiB.median,
            lo: r.loadPeakMiB.min,
            hi: r.loadPeakMiB.max,
          })),
        },
      ],
    });
    return {
      markdown,
      charts: [{ file: 'memory.svg', title: 'Resident memory, idle and under load', svg: chart }],
      targets: rssTargets(rows, p.concurrency),
      data: { rows, concurrency: p.concurrency },
    };
  },
};

function rssTargets(rows: MemoryRow[], concurrency: number): Target[] {
  const w = rows.find((r) => r.process === 'worker');
  if (!w) return [];
  const peak = w.loadPeakMiB.median;
  return [
    {
      name: `worker RSS with ${concurrency} turns in flight (peak)`,
      goal: `≤ ${GOALS.workerRssMiB} MB`,
      measured: `${fmtSpread(w.loadPeakMiB, 0)} MiB (idle ${fmtSpread(w.idleMiB, 0)} MiB)`,
      met: peak <= GOALS.workerRssMiB,
      reason:
        `The worker sits at ${fmt(w.idleMiB.median, 0)} MiB after serving traffic and adds ${fmt(peak - w.idleMiB.median, 0)} MiB at the peak of the load: ` +
        "the SDK runtime, the workflow thread with its V8 sandbox and cache of recent turns, and the activities' clients.",
    },
  ];
}

/**
 * Tuning: the target measurements (300 ms model, plain reply, concurrency 1 and 32) repeated for
 * each lever in one run, against the same baseline: the dev server's transfer-read throttle, worker
 * profiles (workflow cache / sticky queue, slots and pollers), and local activities for the cheap
 * steps of a turn and for the model call (probe workflows in bench/workflows, priced before src/workflows changes).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Child } from '../lib/children';
import { benchMessage, PLAIN, type TurnShape } from '../lib/fake-model';
import { measureRun, type MeasuredRun } from '../lib/measure';
import { SCENARIO_PROFILE, SERVER_PROFILE, WORKER_PROFILES, type Profile } from '../lib/profiles';
import { table, type BenchContext, type Scenario, scenarioParams } from '../lib/scenario';
import { fmt, fmtSpread, percentiles, spread, type Spread } from '../lib/stats';
import { barChart } from '../lib/svg';
import { uniqueQueue, type BenchSystem } from '../lib/system';
import { GOALS } from '../lib/targets';
import { SERVER_ALTERNATIVES, startBenchServer } from '../lib/temporal-server';
import { BENCH_ROLE, BENCH_TASK, baselineTurn, durableTurn, runLabel, type TurnRunner } from '../lib/turns';

/** c1ZeroTurns: long enough for a sustained series (the server's read throttle lets short bursts through). */
const FULL = { c1ZeroTurns: 10, c1Turns: 5, c32Turns: 32, repeats: 3, timeCapMs: 20_000 };
const QUICK = { c1ZeroTurns: 2, c1Turns: 2, c32Turns: 4, repeats: 1, timeCapMs: 10_000 };
const MODEL_MS = 300;

interface Setup {
  name: string;
  why: string;
  runner: (label: string, shape: TurnShape) => TurnRunner;
  temporalPid?: number;
  workers: Child[];
}

export interface TuningRow {
  setup: string;
  why: string;
  /** p50 at concurrency 1 with a 0 ms model: the orchestration cost alone. */
  p50c1Zero: Spread;
  p50c1: Spread;
  ratioC1: Spread;
  p50c32: Spread;
  ratioC32: Spread;
  tputC32: Spread;
  tputRatioC32: Spread;
  temporalCpuMs: Spread;
  workerCpuMs: Spread;
}

export const tuning: Scenario<{ rows: TuningRow[] }> = {
  id: 'tuning',
  title: 'Tuning: each lever against the same baseline',
  description:
    'The target measurements (300 ms model, plain reply, c=1 and c=32) per server setting, worker profile and local-activity probe.',
  async run(ctx: BenchContext) {
    const p = scenarioParams(ctx, FULL, QUICK);
    const sys = await ctx.system();
    const profiles = ctx.quick ? WORKER_PROFILES.slice(0, 1) : WORKER_PROFILES;
    const setups: Setup[] = [];
    const stops: (() => Promise<void>)[] = [];
    const shape = PLAIN(MODEL_MS);
    const zero = PLAIN(0);
    try {
      // The same worker and API on a dev server of its own per alternative server setting.
      for (const profile of ctx.quick ? [] : SERVER_ALTERNATIVES) {
        const db = path.join(ctx.outDir, `temporal-${profile.name.replace(/\W+/g, '-')}.db`);
        for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
        const server = await startBenchServer({ dbFilename: db, profile });
        stops.push(() => server.stop());
        const q = uniqueQueue('tuning-server');
        const env = { TEMPORAL_ADDRESS: server.address };
        const worker = await sys.startWorker({ taskQueue: q, tuning: SCENARIO_PROFILE.tuning, env });
        const api = await sys.startApi({ taskQueue: q, env });
        setups.push({
          name: `server: ${profile.name}`,
          why: `${profile.why}; worker \`${SCENARIO_PROFILE.name}\``,
          runner: (label, sh) => durableTurn(api.url, sh, label),
          temporalPid: server.process.pid,
          workers: [worker],
        });
      }
      for (const profile of profiles) setups.push(await apiSetup(sys, profile));
      if (!ctx.quick) setups.push(...(await probeSetups(sys)));

      const config = sys.config('unused');
      const base: Runs = { c1Zero: [], c1: [], c32: [] };
      const runs = new Map<string, Runs>(setups.map((s) => [s.name, { c1Zero: [], c1: [], c32: [] }]));
      for (const s of setups) {
        // Warm each setup once (JIT, caches, the task row) before measuring.
        await measureRun({
          task: s.runner(runLabel('warm'), zero),
          count: 4,
          concurrency: 2,
          timeCapMs: 30_000,
          workers: [],
        });
      }
      for (let r = 0; r < p.repeats; r++) {
        const one = { concurrency: 1, timeCapMs: p.timeCapMs, workers: [] };
        base.c1Zero.push(
          await measureRun({ ...one, count: p.c1ZeroTurns, task: baselineTurn(config, zero) }),
        );
        base.c1.push(await measureRun({ ...one, count: p.c1Turns, task: baselineTurn(config, shape) }));
        base.c32.push(
          await measureRun({
            task: baselineTurn(config, shape),
            count: p.c32Turns,
            concurrency: 32,
            timeCapMs: p.timeCapMs,
            workers: [],
          }),
        );
        for (const s of setups) {
          const e = runs.get(s.name) as Runs;
          const common = {
            temporalPid: s.temporalPid ?? sys.temporalPid,
            workers: s.workers,
            timeCapMs: p.timeCapMs,
          };
          e.c1Zero.push(
            await measureRun({
              ...common,
              task: s.runner(runLabel('tune'), zero),
              count: p.c1ZeroTurns,
              concurrency: 1,
            }),
          );
          e.c1.push(
            await measureRun({
              ...common,
              task: s.runner(runLabel('tune'), shape),
              count: p.c1Turns,
              concurrency: 1,
            }),
          );
          e.c32.push(
            await measureRun({
              ...common,
              task: s.runner(runLabel('tune'), shape),
              count: p.c32Turns,
              concurrency: 32,
            }),
          );
          const failed = [...e.c1Zero, ...e.c1, ...e.c32].find((m) => m.load.failed);
          if (failed)
            throw new Error(`${s.name}: ${failed.load.failed} turns failed: ${failed.load.firstError}`);
          ctx.log(
            `  repeat ${r + 1}/${p.repeats} ${s.name}: p50 c=1 ${fmt(p50(e.c1Zero.at(-1)))} ms (0 ms model), ${fmt(p50(e.c1.at(-1)))} ms; c=32 ${fmt(p50(e.c32.at(-1)))} ms`,
          );
        }
      }
      const rows = setups.map((s) => summarise(s, runs.get(s.name) as Runs, base));
      return { ...render(rows), data: { rows } };
    } finally {
      await sys.stopChildren();
      for (const stop of stops) await stop();
    }
  },
};

type Runs = { c1Zero: MeasuredRun[]; c1: MeasuredRun[]; c32: MeasuredRun[] };

function p50(run: MeasuredRun | undefined): number {
  return run ? percentiles(run.load.latenciesMs).p50 : NaN;
}

async function apiSetup(sys: BenchSystem, profile: Profile): Promise<Setup> {
  const q = uniqueQueue('tuning');
  const worker = await sys.startWorker({ taskQueue: q, tuning: profile.tuning });
  const api = await sys.startApi({ taskQueue: q });
  return {
    name: `worker: ${profile.name}`,
    why: profile.why,
    runner: (label, shape) => durableTurn(api.url, shape, label),
    workers: [worker],
  };
}

async function probeSetups(sys: BenchSystem): Promise<Setup[]> {
  const q = uniqueQueue('tuning-probe');
  const worker = await sys.startWorker({
    taskQueue: q,
    tuning: SCENARIO_PROFILE.tuning,
    bundlePath: await sys.probeBundlePath(),
  });
  const probe = (workflowType: string) => (label: string, shape: TurnShape) =>
    probeTurn(sys.client, q, workflowType, label, shape);
  return [
    {
      name: "probe: today's turn shape",
      why: 'AgentTurn v2 for a plain reply: resolveTask, loadWorkspace and listTurnTools concurrently as local activities, the model a regular activity, postReply local (the reference for the next row)',
      runner: probe('probeTurnToday'),
      workers: [worker],
    },
    {
      name: 'probe: model call as a local activity too',
      why: 'the same with callModel as a local activity (no heartbeat; same timeouts and retries): a plain turn becomes one workflow task',
      runner: probe('probeLocalModelTurn'),
      workers: [worker],
    },
  ];
}

function probeTurn(
  client: Client,
  taskQueue: string,
  workflowType: string,
  label: string,
  shape: TurnShape,
): TurnRunner {
  const message = benchMessage(shape);
  return async (i) => {
    const userId = `bench-${i % 8}`;
    const workflowId = `probe/${label}/${i}`;
    await client.workflow.execute(workflowType, {
      taskQueue,
      workflowId,
      args: [{ userId, role: BENCH_ROLE, message, taskTitle: BENCH_TASK }, `${workflowId}/reply`],
      workflowExecutionTimeout: '2m',
    });
  };
}

function summarise(s: Setup, runs: Runs, base: Runs): TuningRow {
  const cpu = (pick: (m: MeasuredRun) => number) =>
    spread(runs.c32.map((m) => (pick(m) * 1000) / Math.max(1, m.load.completed)));
  return {
    setup: s.name,
    why: s.why,
    p50c1Zero: spread(runs.c1Zero.map(p50)),
    p50c1: spread(runs.c1.map(p50)),
    ratioC1: spread(runs.c1.map((m, i) => p50(m) / p50(base.c1[i]))),
    p50c32: spread(runs.c32.map(p50)),
    ratioC32: spread(runs.c32.map((m, i) => p50(m) / p50(base.c32[i]))),
    tputC32: spread(runs.c32.map((m) => m.turnsPerSec)),
    tputRatioC32: spread(runs.c32.map((m, i) => m.turnsPerSec / (base.c32[i]?.turnsPerSec ?? NaN))),
    temporalCpuMs: cpu((m) => m.cpuSec.temporal ?? NaN),
    workerCpuMs: cpu((m) =>
      Object.entries(m.cpuSec)
        .filter(([k]) => k.startsWith('worker'))
        .reduce((a, [, v]) => a + v, 0),
    ),
  };
}

function render(rows: TuningRow[]) {
  const markdown = [
    `Model ${MODEL_MS} ms, plain reply (and one column at 0 ms: the orchestration cost alone). Ratios are durable / baseline of the same repeat (latency: p50; throughput: turns/s at c=32). ` +
      `Every other scenario runs with server \`${SERVER_PROFILE.name}\` and worker \`${SCENARIO_PROFILE.name}\`. The probes are started ` +
      'with the Temporal client directly (no API hop), so compare them with each other.',
    '',
    table(
      [
        'setup',
        'p50 c=1, model 0 ms',
        'p50 c=1 ms',
        'ratio c=1',
        'p50 c=32 ms',
        'ratio c=32',
        'turns/s c=32',
        'throughput ratio',
        'Temporal CPU ms/turn',
        'worker CPU ms/turn',
      ],
      rows.map((r) => [
        r.setup,
        fmtSpread(r.p50c1Zero),
        fmtSpread(r.p50c1),
        fmtSpread(r.ratioC1, 2),
        fmtSpread(r.p50c32),
        fmtSpread(r.ratioC32, 2),
        fmtSpread(r.tputC32),
        fmtSpread(r.tputRatioC32, 2),
        fmtSpread(r.temporalCpuMs),
        fmtSpread(r.workerCpuMs),
      ]),
    ),
    '',
    ...rows.map((r) => `- **${r.setup}**: ${r.why}.`),
  ].join('\n');
  const chart = barChart({
    title: `Durable / baseline p50, model ${MODEL_MS} ms, plain reply`,
    yLabel: 'ratio (1 = as fast as the baseline)',
    categories: rows.map((_, i) => `#${i + 1}`),
    series: [
      {
        name: 'c=1',
        values: rows.map((r) => ({ value: r.ratioC1.median, lo: r.ratioC1.min, hi: r.ratioC1.max })),
      },
      {
        name: 'c=32',
        values: rows.map((r) => ({ value: r.ratioC32.median, lo: r.ratioC32.min, hi: r.ratioC32.max })),
      },
    ],
    reference: { value: GOALS.c1P50Ratio, label: `target c=1: ${GOALS.c1P50Ratio}` },
  });
  const legend = rows.map((r, i) => `#${i + 1} ${r.setup}`).join(' · ');
  return {
    markdown: `${markdown}\n\nChart bars: ${legend}.`,
    charts: [{ file: 'tuning.svg', title: 'Durable/baseline p50 ratio per setup', svg: chart }],
    targets: [],
  };
}

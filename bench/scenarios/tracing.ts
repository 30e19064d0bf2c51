/**
 * Tracing: what OpenTelemetry costs per turn. Two worker + API pairs run the same two-tool-call
 * turns (model 0 ms, so nothing hides the cost), one with tracing off (no endpoint: the default,
 * no SDK loaded) and one exporting OTLP/HTTP protobuf to a receiver in the bench process, their
 * repeats interleaved so drift hits both alike. Reports latency, CPU per turn of the worker and
 * the API, and what the traced pair exported per turn.
 */
import type { Child } from '../lib/children';
import { TWO_TOOLS } from '../lib/fake-model';
import { measureRun } from '../lib/measure';
import { SCENARIO_PROFILE } from '../lib/profiles';
import { table, type BenchContext, type Scenario, type Target, scenarioParams } from '../lib/scenario';
import { fmt, fmtSpread, percentiles, spread, type Spread } from '../lib/stats';
import { uniqueQueue } from '../lib/system';
import { durableTurn, runLabel } from '../lib/turns';
import { startOtlpCollector } from '../../test/support/otlp-collector';

const FULL = { conditions: [1, 8], turns: { 1: 30, 8: 80 } as Record<number, number>, repeats: 3 };
const QUICK = { conditions: [1], turns: { 1: 4 } as Record<number, number>, repeats: 1 };
const TIME_CAP_MS = 60_000;
const SETUPS = ['off', 'on'] as const;
type Setup = (typeof SETUPS)[number];
/** The traced pair's service.name: an export without it came from the pair that should export nothing. */
const TRACED_SERVICE = 'bench-traced';

export interface TracingRow {
  setup: Setup;
  concurrency: number;
  p50Ms: Spread;
  p95Ms: Spread;
  workerCpuMsPerTurn: Spread;
  apiCpuMsPerTurn: Spread;
  failed: number;
}

export interface TracingData {
  rows: TracingRow[];
  /** Over every traced turn: export requests, and protobuf KiB received, per turn. */
  exportsPerTurn: number;
  kibPerTurn: number;
}

export const tracingScenario: Scenario<TracingData> = {
  id: 'tracing',
  title: 'Tracing: the cost of OpenTelemetry per turn',
  description: 'Turn latency and CPU per turn with tracing off (default) and on (OTLP/HTTP protobuf).',
  async run(ctx: BenchContext) {
    const p = scenarioParams(ctx, FULL, QUICK);
    const sys = await ctx.system();
    const collector = await startOtlpCollector();
    const pairs = new Map<Setup, { worker: Child; api: Child & { url: string } }>();
    const samples = new Map<
      string,
      { p50: number[]; p95: number[]; worker: number[]; api: number[]; failed: number }
    >();
    let tracedTurns = 0;
    try {
      for (const setup of SETUPS) {
        const env: Record<string, string> =
          setup === 'on'
            ? { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: TRACED_SERVICE }
            : {};
        const taskQueue = uniqueQueue(`tracing-${setup}`);
        const worker = await sys.startWorker({ taskQueue, tuning: SCENARIO_PROFILE.tuning, env });
        const api = await sys.startApi({ taskQueue, env });
        pairs.set(setup, { worker, api });
        const warm = await measureRun({
          task: durableTurn(api.url, TWO_TOOLS(0), runLabel(`warm-${setup}`)),
          count: 8,
          concurrency: 4,
          timeCapMs: 30_000,
          workers: [worker],
        });
        if (warm.load.failed) throw new Error(`warm-up failed (tracing ${setup}): ${warm.load.firstError}`);
        // The warm-up turns of the traced pair are exported too; they count as traced turns.
        if (setup === 'on') tracedTurns += warm.load.completed;
      }
      for (const concurrency of p.conditions) {
        for (let r = 0; r < p.repeats; r++) {
          for (const setup of SETUPS) {
            const { worker, api } = pairs.get(setup)!;
            const run = await measureRun({
              task: durableTurn(api.url, TWO_TOOLS(0), runLabel(`tracing-${setup}`)),
              count: p.turns[concurrency]!,
              concurrency,
              timeCapMs: TIME_CAP_MS,
              workers: [worker],
              api,
            });
            if (setup === 'on') tracedTurns += run.load.completed;
            const lat = percentiles(run.load.latenciesMs);
            const perTurn = (sec: number | undefined) => ((sec ?? NaN) * 1000) / run.load.completed;
            const key = `${setup}|${concurrency}`;
            const s = samples.get(key) ?? { p50: [], p95: [], worker: [], api: [], failed: 0 };
            s.p50.push(lat.p50);
            s.p95.push(lat.p95);
            s.worker.push(perTurn(run.cpuSec['worker 1']));
            s.api.push(perTurn(run.cpuSec.api));
            s.failed += run.load.failed;
            samples.set(key, s);
            ctx.log(
              `  tracing ${setup}, c=${concurrency}, repeat ${r + 1}/${p.repeats}: p50 ${fmt(lat.p50)} ms, ` +
                `worker ${fmt(perTurn(run.cpuSec['worker 1']))} CPU ms/turn`,
            );
          }
        }
      }
    } finally {
      // SIGTERM makes the traced pair flush what it still buffers before the bytes are counted.
      await sys.stopChildren();
      await collector.close();
    }
    const exported = collector.requests.filter((r) => r.body.includes(TRACED_SERVICE));
    const kib = exported.reduce((sum, r) => sum + r.body.length, 0) / 1024;
    const rows: TracingRow[] = [...samples].map(([key, s]) => {
      const [setup, c] = key.split('|');
      return {
        setup: setup as Setup,
        concurrency: Number(c),
        p50Ms: spread(s.p50),
        p95Ms: spread(s.p95),
        workerCpuMsPerTurn: spread(s.worker),
        apiCpuMsPerTurn: spread(s.api),
        failed: s.failed,
      };
    });
    const data: TracingData = {
      rows,
      exportsPerTurn: exported.length / tracedTurns,
      kibPerTurn: kib / tracedTurns,
    };
    const row = (setup: Setup, c: number) => rows.find((x) => x.setup === setup && x.concurrency === c);
    const targets: Target[] = [];
    const off1 = row('off', 1);
    const on1 = row('on', 1);
    if (off1 && on1) {
      const added = on1.p50Ms.median / off1.p50Ms.median - 1;
      targets.push({
        name: 'tracing on: turn latency',
        goal: 'p50 at c=1 within +10% of tracing off',
        measured: `${fmt(on1.p50Ms.median)} vs ${fmt(off1.p50Ms.median)} ms (${added >= 0 ? '+' : ''}${fmt(added * 100)}%)`,
        met: added <= 0.1,
        reason:
          added <= 0.1
            ? 'spans are batched and exported off the request path, every 2 s'
            : 'span bookkeeping and export compete for the same two cores as the turn',
      });
    }
    const markdown = [
      table(
        ['tracing', 'concurrency', 'p50 ms', 'p95 ms', 'worker CPU ms/turn', 'API CPU ms/turn', 'failed'],
        rows.map((r) => [
          r.setup,
          String(r.concurrency),
          fmtSpread(r.p50Ms),
          fmtSpread(r.p95Ms),
          fmtSpread(r.workerCpuMsPerTurn),
          fmtSpread(r.apiCpuMsPerTurn),
          String(r.failed),
        ]),
      ),
      '',
      `Turns with two tool calls and a 0 ms model through the API, worker profile \`${SCENARIO_PROFILE.name}\`. ` +
        `The traced pair exported ${fmt(data.exportsPerTurn, 2)} OTLP requests and ${fmt(data.kibPerTurn, 1)} KiB ` +
        `(protobuf) per turn. Median (min–max) over ${p.repeats} interleaved repeats.`,
    ].join('\n');
    return { markdown, charts: [], targets, data };
  },
};

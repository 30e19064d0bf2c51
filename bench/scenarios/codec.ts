/**
 * Payload encryption: what the codec (src/clients/temporal/payload-codec.ts) costs a turn.
 *
 * 1. CPU of the codec alone, in this process: every payload of a recorded two-tool turn
 *    (test/fixtures/histories/agentTurn-tools.json: input, activity inputs and results, local
 *    activity results, summaries, the result) sealed and opened once, many times over; with the
 *    default compression threshold and with compression off. The payloads a turn's processes
 *    encode and decode are about this set, each sealed once by its producer and opened by its
 *    consumer(s); a worker that lost its cache opens a history's payloads again on replay.
 * 2. End to end: the same two-tool turn (model 0 ms, so the overhead is not hidden) through an API
 *    and a worker process without keys and through a pair with CLASPER_PAYLOAD_KEYS, the two
 *    alternated per repeat so a change in machine load hits both: latency p50/p95 and CPU ms per
 *    turn of the worker and the API processes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec, generatePayloadKey } from '../../src/clients/temporal/payload-codec';
import { loadConfig } from '../../src/config';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { TWO_TOOLS } from '../lib/fake-model';
import { runLoad } from '../lib/load';
import { loadAverage } from '../lib/machine';
import { CpuMeter } from '../lib/proc';
import { SCENARIO_PROFILE } from '../lib/profiles';
import { table, type BenchContext, type Scenario, type Target, scenarioParams } from '../lib/scenario';
import { fmt, fmtSpread, percentiles, spread, type Spread } from '../lib/stats';
import { uniqueQueue } from '../lib/system';
import { durableTurn, runLabel } from '../lib/turns';

const FULL = { microRounds: 400, turns: { 1: 30, 8: 48 } as Record<number, number>, repeats: 3 };
const QUICK = { microRounds: 20, turns: { 1: 3, 8: 8 } as Record<number, number>, repeats: 1 };
/** 5% of the ~100 ms of worker CPU a two-tool turn costs (section 2). */
const TARGET_CPU_MS_PER_TURN = 5;
const TARGET_P50_OVERHEAD_MS = 10;

/** Every Payload of a recorded history, as the server holds it (the fixture is unencrypted). */
function payloadsOfFixture(file: string): Payload[] {
  const history = historyFromJSON(
    JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/histories', file), 'utf8')),
  );
  const out: Payload[] = [];
  const walk = (v: unknown, key = ''): void => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach((x) => walk(x));
    const o = v as Record<string, unknown>;
    // Search attributes are never encoded; everything else with metadata + data is a payload.
    if (key === 'searchAttributes') return;
    if (o.metadata && typeof o.metadata === 'object' && 'data' in o) {
      out.push(o as Payload);
      return;
    }
    for (const [k, x] of Object.entries(o)) walk(x, k);
  };
  walk(history);
  return out;
}

interface MicroRow {
  setting: string;
  payloads: number;
  plainBytes: number;
  sealedBytes: number;
  encodeCpuUs: Spread;
  decodeCpuUs: Spread;
}

async function micro(rounds: number, repeats: number): Promise<MicroRow[]> {
  const payloads = payloadsOfFixture('agentTurn-tools.json');
  const plainBytes = payloads.reduce((n, p) => n + (p.data?.length ?? 0), 0);
  const rows: MicroRow[] = [];
  for (const [setting, min] of [
    ['compress ≥ 2048 B (default)', '2048'],
    ['no compression', '0'],
  ] as const) {
    const codec = new EncryptionCodec(
      loadConfig({
        CLASPER_PAYLOAD_KEYS: generatePayloadKey('bench'),
        CLASPER_PAYLOAD_COMPRESS_MIN_BYTES: min,
      }).payloads,
    );
    const sealed = await codec.encode(payloads);
    const enc: number[] = [];
    const dec: number[] = [];
    for (let r = 0; r < repeats; r++) {
      let t = process.cpuUsage();
      for (let i = 0; i < rounds; i++) await codec.encode(payloads);
      let d = process.cpuUsage(t);
      enc.push((d.user + d.system) / rounds);
      t = process.cpuUsage();
      for (let i = 0; i < rounds; i++) await codec.decode(sealed);
      d = process.cpuUsage(t);
      dec.push((d.user + d.system) / rounds);
    }
    rows.push({
      setting,
      payloads: payloads.length,
      plainBytes,
      sealedBytes: sealed.reduce((n, p) => n + (p.data?.length ?? 0), 0),
      encodeCpuUs: spread(enc),
      decodeCpuUs: spread(dec),
    });
  }
  return rows;
}

interface E2eRow {
  concurrency: number;
  setup: 'plain' | 'encrypted';
  p50: Spread;
  p95: Spread;
  workerCpuMs: Spread;
  apiCpuMs: Spread;
  failed: number;
}

export interface CodecData {
  micro: MicroRow[];
  e2e: E2eRow[];
  load: { start: string; end: string };
}

export const codecScenario: Scenario<CodecData> = {
  id: 'codec',
  title: 'Payload encryption: the codec’s cost per turn',
  description:
    'CPU of sealing and opening one turn’s payloads, and turn latency and CPU with and without keys.',
  async run(ctx: BenchContext) {
    const p = scenarioParams(ctx, FULL, QUICK);
    const loadStart = loadAverage();
    const microRows = await micro(p.microRounds, p.repeats);
    ctx.log(`  codec alone: ${fmt(microRows[0]!.encodeCpuUs.median)} µs encode per turn`);
    const sys = await ctx.system();
    const e2e: E2eRow[] = [];
    try {
      const pairs = {} as Record<'plain' | 'encrypted', { api: string; pids: Record<string, number> }>;
      for (const setup of ['plain', 'encrypted'] as const) {
        const taskQueue = uniqueQueue(`codec-${setup}`);
        const env: Record<string, string> =
          setup === 'encrypted' ? { CLASPER_PAYLOAD_KEYS: generatePayloadKey('bench') } : {};
        const worker = await sys.startWorker({ taskQueue, tuning: SCENARIO_PROFILE.tuning, env });
        const api = await sys.startApi({ taskQueue, env });
        pairs[setup] = { api: api.url, pids: { worker: worker.pid, api: api.pid } };
        // Warm: sticky caches, JIT, the first connections.
        await runLoad({
          count: 6,
          concurrency: 2,
          timeCapMs: 60_000,
          task: durableTurn(api.url, TWO_TOOLS(0), runLabel('cw')),
        });
      }
      for (const concurrency of [1, 8]) {
        const runs = { plain: [] as Measured[], encrypted: [] as Measured[] };
        for (let r = 0; r < p.repeats; r++) {
          for (const setup of ['plain', 'encrypted'] as const) {
            const pair = pairs[setup];
            const meter = new CpuMeter(pair.pids).start();
            const load = await runLoad({
              count: p.turns[concurrency] ?? 8,
              concurrency,
              timeCapMs: 120_000,
              task: durableTurn(pair.api, TWO_TOOLS(0), runLabel(`c-${setup}`)),
            });
            const { cpuSec } = meter.stop();
            runs[setup].push({ load, cpuSec });
            ctx.log(
              `  conc ${concurrency}, repeat ${r + 1}, ${setup}: p50 ${fmt(percentiles(load.latenciesMs).p50)} ms`,
            );
          }
        }
        for (const setup of ['plain', 'encrypted'] as const)
          e2e.push(summarise(concurrency, setup, runs[setup]));
      }
    } finally {
      await sys.stopChildren();
    }
    const loadEnd = loadAverage();
    const data: CodecData = { micro: microRows, e2e, load: { start: loadStart, end: loadEnd } };
    return { ...render(data), charts: [], data };
  },
};

interface Measured {
  load: Awaited<ReturnType<typeof runLoad>>;
  cpuSec: Record<string, number>;
}

function summarise(concurrency: number, setup: E2eRow['setup'], runs: Measured[]): E2eRow {
  const perTurn = (name: string) =>
    spread(runs.map((r) => ((r.cpuSec[name] ?? 0) * 1000) / Math.max(1, r.load.completed)));
  return {
    concurrency,
    setup,
    p50: spread(runs.map((r) => percentiles(r.load.latenciesMs).p50)),
    p95: spread(runs.map((r) => percentiles(r.load.latenciesMs).p95)),
    workerCpuMs: perTurn('worker'),
    apiCpuMs: perTurn('api'),
    failed: runs.reduce((n, r) => n + r.load.failed, 0),
  };
}

function render(d: CodecData): { markdown: string; targets: Target[] } {
  const micro = table(
    ['setting', 'payloads per turn', 'plain KB', 'sealed KB', 'encode CPU µs/turn', 'decode CPU µs/turn'],
    d.micro.map((r) => [
      r.setting,
      String(r.payloads),
      fmt(r.plainBytes / 1024),
      fmt(r.sealedBytes / 1024),
      fmtSpread(r.encodeCpuUs),
      fmtSpread(r.decodeCpuUs),
    ]),
  );
  const e2e = table(
    ['conc.', 'setup', 'p50 ms', 'p95 ms', 'worker CPU ms/turn', 'API CPU ms/turn', 'failed'],
    d.e2e.map((r) => [
      String(r.concurrency),
      r.setup,
      fmtSpread(r.p50),
      fmtSpread(r.p95),
      fmtSpread(r.workerCpuMs),
      fmtSpread(r.apiCpuMs),
      String(r.failed),
    ]),
  );
  const codecCpuMs = (d.micro[0]!.encodeCpuUs.median + d.micro[0]!.decodeCpuUs.median) / 1000;
  const at = (c: number, s: E2eRow['setup']) => d.e2e.find((r) => r.concurrency === c && r.setup === s);
  const overhead = (at(1, 'encrypted')?.p50.median ?? NaN) - (at(1, 'plain')?.p50.median ?? NaN);
  const targets: Target[] = [
    {
      name: 'codec CPU per turn (seal + open every payload once)',
      goal: `≤ ${TARGET_CPU_MS_PER_TURN} ms`,
      measured: `${fmt(codecCpuMs, 2)} ms`,
      met: codecCpuMs <= TARGET_CPU_MS_PER_TURN,
      reason: `The ${d.micro[0]!.payloads} payloads of a two-tool turn are ${fmt(d.micro[0]!.plainBytes / 1024)} KB; AES-256-GCM alone costs ${fmt((d.micro[1]!.encodeCpuUs.median + d.micro[1]!.decodeCpuUs.median) / 1000, 2)} ms of that, deflating the large ones (system prompt, tool list) and inflating them again the rest.`,
    },
    {
      name: 'turn latency added by encryption, p50, concurrency 1',
      goal: `≤ ${TARGET_P50_OVERHEAD_MS} ms`,
      measured: `${fmt(overhead, 1)} ms`,
      met: overhead <= TARGET_P50_OVERHEAD_MS,
      reason:
        'The codec runs a few times per workflow task and activity, each well under a millisecond; the difference is within run-to-run noise on a shared box.',
    },
  ];
  const markdown = [
    `Load average ${d.load.start} at the start, ${d.load.end} at the end.`,
    '',
    '**The codec alone** (this process; one turn = every payload of the recorded two-tool turn `agentTurn-tools.json`; median of repeats, min–max):',
    '',
    micro,
    '',
    '**End to end**: two-tool turns, model 0 ms, an API and a worker process without keys (`plain`) and with `CLASPER_PAYLOAD_KEYS` (`encrypted`), alternated per repeat:',
    '',
    e2e,
  ].join('\n');
  return { markdown, targets };
}

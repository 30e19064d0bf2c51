/**
 * `npm run bench:profile` — where a worker's CPU goes per plain turn (issue 12, item 4).
 *
 * Starts the bench's system (dev server, backend, fake model, one worker, one API), runs a warm-up,
 * then a measured series of plain turns (0 ms model, so nothing but the runtime costs CPU) under
 * `node --cpu-prof`. Reports the worker's process CPU per turn from /proc (every thread: the JS main
 * thread, the workflow thread and the Rust core) and, from the V8 profiles (one per JS thread), the
 * functions with the most self time inside the measured window only — start-up is cut off by
 * timestamp (V8's profile clock and `process.hrtime` are the same monotonic clock on Linux).
 *
 * `--turns=N` (default 240), `--concurrency=N` (default 8), `--top=N` (default 25),
 * `--json=<file>` also writes the figures as JSON. The box is shared: compare runs interleaved.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PLAIN } from './lib/fake-model';
import { measureRun } from './lib/measure';
import { SCENARIO_PROFILE } from './lib/profiles';
import { startSystem, uniqueQueue } from './lib/system';
import { durableTurn, runLabel } from './lib/turns';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeEntry {
  name: string;
  thread: string;
  selfMs: number;
}

function flagValue(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** Self and total (inclusive) time per function, and self time per area, over samples in [fromUs, toUs]. */
export function profileTimes(
  profile: CpuProfile,
  fromUs: number,
  toUs: number,
): { self: Map<string, number>; total: Map<string, number>; areas: Map<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < fromUs || t > toUs) continue;
    const node = byId.get(profile.samples[i] as number);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    // A sample's time is the gap to the next one; the delta stored with sample i is the gap before it.
    const ms = (profile.timeDeltas[i + 1] ?? delta) / 1000;
    add(self, frameKey(node), ms);
    add(areas, area(node.callFrame.url, node.callFrame.functionName), ms);
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = node; n; n = byId.get(parent.get(n.id) ?? -1)) {
      const k = frameKey(n);
      if (!seen.has(k)) add(total, k, ms);
      seen.add(k);
    }
  }
  return { self, total, areas };
}

function frameKey(node: ProfileNode): string {
  const f = node.callFrame;
  return `${f.functionName || '(anonymous)'}${f.url ? ` ${shortUrl(f.url)}:${f.lineNumber + 1}` : ''}`;
}

/** Which part of the process a frame belongs to: a package, a src/ directory, Node, the workflow bundle, native. */
function area(url: string, functionName: string): string {
  const u = shortUrl(url);
  if (!url) return functionName.startsWith('(') ? functionName : 'native (no script)';
  if (u.startsWith('node:')) return 'node internals';
  if (u.startsWith('src/')) return u.split('/').slice(0, 3).join('/');
  if (u.startsWith('@')) return u.split('/').slice(0, 2).join('/');
  if (/^[a-z0-9._-]+\//i.test(u) && url.includes('node_modules/')) return u.split('/')[0] as string;
  return u.includes('workflow-bundle') || u.startsWith('evalmachine') ? 'workflow bundle (vm)' : u;
}

function shortUrl(url: string): string {
  const s = url.replace(/^file:\/\//, '');
  const nm = s.lastIndexOf('node_modules/');
  if (nm >= 0) return s.slice(nm + 'node_modules/'.length);
  const root = path.resolve(__dirname, '..') + '/';
  return s.startsWith(root) ? s.slice(root.length) : s;
}

async function main(): Promise<void> {
  const turns = Number(flagValue('turns') ?? 240);
  const concurrency = Number(flagValue('concurrency') ?? 8);
  const top = Number(flagValue('top') ?? 25);
  const outDir = path.join(__dirname, '.out', 'profile');
  const profDir = path.join(outDir, `cpuprof-${Date.now()}`);
  fs.mkdirSync(profDir, { recursive: true });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const sys = await startSystem({ outDir, log });
  try {
    const taskQueue = uniqueQueue('profile');
    const worker = await sys.startWorker({
      taskQueue,
      tuning: SCENARIO_PROFILE.tuning,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
    });
    const api = await sys.startApi({ taskQueue });
    const warm = await measureRun({
      task: durableTurn(api.url, PLAIN(0), runLabel('warm')),
      count: 24,
      concurrency,
      timeCapMs: 60_000,
      workers: [worker],
    });
    if (warm.load.failed) throw new Error(`warm-up failed: ${warm.load.firstError}`);
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const run = await measureRun({
      task: durableTurn(api.url, PLAIN(0), runLabel('prof')),
      count: turns,
      concurrency,
      timeCapMs: 300_000,
      workers: [worker],
      api,
      temporalPid: sys.temporalPid,
    });
    const toUs = Number(process.hrtime.bigint() / 1000n);
    if (run.load.failed) throw new Error(`${run.load.failed} turns failed: ${run.load.firstError}`);
    // SIGTERM lets the worker drain and exit normally, which is when --cpu-prof writes its files.
    await sys.stopChildren();
    const done = run.load.completed;
    const perTurn = (sec: number | undefined) => ((sec ?? NaN) * 1000) / done;
    const entries: SelfTimeEntry[] = [];
    const totals: SelfTimeEntry[] = [];
    const byArea = new Map<string, number>();
    let profiledMs = 0;
    const files = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
    for (const file of files) {
      const prof = JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8')) as CpuProfile;
      // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the main thread.
      const thread = file.split('.')[4] === '0' ? 'main' : `thread ${file.split('.')[4]}`;
      const times = profileTimes(prof, fromUs, toUs);
      for (const [name, ms] of times.self) {
        profiledMs += ms;
        entries.push({ name, thread, selfMs: ms });
      }
      for (const [name, ms] of times.total) totals.push({ name, thread, selfMs: ms });
      for (const [name, ms] of times.areas)
        byArea.set(`${thread}: ${name}`, (byArea.get(`${thread}: ${name}`) ?? 0) + ms);
    }
    entries.sort((a, b) => b.selfMs - a.selfMs);
    totals.sort((a, b) => b.selfMs - a.selfMs);
    const summary = {
      turns: done,
      concurrency,
      wallSec: run.wallSec,
      turnsPerSec: run.turnsPerSec,
      cpuMsPerTurn: {
        worker: perTurn(run.cpuSec['worker 1']),
        temporal: perTurn(run.cpuSec.temporal),
        api: perTurn(run.cpuSec.api),
        bench: perTurn(run.cpuSec.bench),
      },
      jsProfiledMsPerTurn: profiledMs / done,
      top: entries.slice(0, top).map((e) => ({
        ...e,
        pct: (e.selfMs / profiledMs) * 100,
        msPerTurn: e.selfMs / done,
      })),
      areas: [...byArea]
        .sort((a, b) => b[1] - a[1])
        .map(([name, ms]) => ({ name, msPerTurn: ms / done, pct: (ms / profiledMs) * 100 })),
      inclusive: totals.slice(0, 120).map((e) => ({ ...e, msPerTurn: e.selfMs / done })),
      allSelf: entries.map((e) => ({ ...e, msPerTurn: e.selfMs / done })),
      profiles: files.map((f) => path.join(profDir, f)),
    };
    const json = flagValue('json');
    if (json) fs.writeFileSync(json, JSON.stringify(summary, null, 2));
    const f2 = (n: number) => n.toFixed(2);
    const lines = [
      `${done} plain turns (0 ms model), concurrency ${concurrency}, ${run.wallSec.toFixed(1)} s, ${run.turnsPerSec.toFixed(1)} turns/s`,
      `CPU ms per turn (/proc, all threads): worker ${f2(summary.cpuMsPerTurn.worker)}, temporal ${f2(summary.cpuMsPerTurn.temporal)}, api ${f2(summary.cpuMsPerTurn.api)}, bench ${f2(summary.cpuMsPerTurn.bench)}`,
      `JS self time in the V8 profiles (${files.length} thread(s)): ${f2(summary.jsProfiledMsPerTurn)} ms per turn; the rest of the process CPU is native (Rust core, GC threads, libuv)`,
      '',
      '| self ms/turn | % of JS | thread | function |',
      '| --- | --- | --- | --- |',
      ...summary.top.map(
        (e) => `| ${f2(e.msPerTurn)} | ${e.pct.toFixed(1)}% | ${e.thread} | \`${e.name}\` |`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await sys.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`profile failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);

/**
 * Process metrics straight from /proc (Linux): CPU seconds from `/proc/<pid>/stat` (utime + stime),
 * resident memory from `/proc/<pid>/status` (VmRSS), both summed over a process and its
 * descendants, and event-loop lag of this process via `perf_hooks.monitorEventLoopDelay`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

let ticks: number | undefined;
/** Clock ticks per second for /proc times (`getconf CLK_TCK`, 100 on every Linux we run on). */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** Fields of /proc/<pid>/stat after the `(comm)` field, which may itself contain spaces. */
function statFields(pid: number): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // the process is gone
  }
}

/** Direct and indirect children of `pid` (a CLI may run its server in a child). */
export function descendants(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    const ppid = fields ? Number(fields[1]) : NaN; // field 4 (ppid) is index 1 after state
    if (!Number.isFinite(ppid)) continue;
    const list = byParent.get(ppid) ?? [];
    list.push(Number(entry));
    byParent.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [...(byParent.get(pid) ?? [])];
  while (queue.length) {
    const next = queue.shift() as number;
    out.push(next);
    queue.push(...(byParent.get(next) ?? []));
  }
  return out;
}

/** CPU seconds (user + system) used so far by `pid` alone. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  if (!f) return 0;
  // utime and stime are fields 14 and 15 of the full line: indexes 11 and 12 here.
  return (Number(f[11]) + Number(f[12])) / clockTicks();
}

/** Resident set size of `pid` alone, in bytes (0 when it is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A process tree: the pid plus everything below it. */
export function treePids(pid: number): number[] {
  return [pid, ...descendants(pid)];
}

export function treeCpuSeconds(pid: number): number {
  return treePids(pid).reduce((n, p) => n + cpuSeconds(p), 0);
}

export function treeRssBytes(pid: number): number {
  return treePids(pid).reduce((n, p) => n + rssBytes(p), 0);
}

/**
 * CPU seconds of named processes (with their descendants) between `start()` and `stop()`. This
 * process is counted alone, never with its children (which are the workers and the API).
 */
export class CpuMeter {
  private readonly startedAt = new Map<string, number>();
  private t0 = 0;

  constructor(private readonly pids: Record<string, number>) {}

  private read(pid: number): number {
    return pid === process.pid ? cpuSeconds(pid) : treeCpuSeconds(pid);
  }

  start(): this {
    this.t0 = performance.now();
    for (const [name, pid] of Object.entries(this.pids)) this.startedAt.set(name, this.read(pid));
    return this;
  }

  /** CPU seconds per process and the wall seconds they were measured over. */
  stop(): { wallSec: number; cpuSec: Record<string, number> } {
    const wallSec = (performance.now() - this.t0) / 1000;
    const cpuSec: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      cpuSec[name] = this.read(pid) - (this.startedAt.get(name) ?? 0);
    }
    return { wallSec, cpuSec };
  }
}

/** Samples the RSS of named processes every `intervalMs` until stopped: peak and mean per process. */
export class RssSampler {
  private readonly samples = new Map<string, number[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pids: Record<string, number>,
    private readonly intervalMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  stop(): Record<string, { peak: number; mean: number }> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const out: Record<string, { peak: number; mean: number }> = {};
    for (const [name, values] of this.samples) {
      out[name] = { peak: Math.max(...values), mean: values.reduce((a, b) => a + b, 0) / values.length };
    }
    return out;
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const list = this.samples.get(name) ?? [];
      list.push(treeRssBytes(pid));
      this.samples.set(name, list);
    }
  }
}

/** Event-loop lag summary in ms: the histogram's timer interval minus its resolution. */
export interface LagSummary {
  p50: number;
  p99: number;
  max: number;
}

export const LAG_RESOLUTION_MS = 10;

export function createLagMonitor(): IntervalHistogram {
  const h = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  h.enable();
  return h;
}

export function summariseLag(h: IntervalHistogram): LagSummary {
  // The histogram records how long each `resolution`-ms timer took to fire; the excess is the lag.
  const lag = (ns: number) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
  if (h.count === 0) return { p50: 0, p99: 0, max: 0 };
  return { p50: lag(h.percentile(50)), p99: lag(h.percentile(99)), max: lag(h.max) };
}

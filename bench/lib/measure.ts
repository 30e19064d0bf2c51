/**
 * One measured load run: the bounded load loop plus, over exactly its duration, CPU seconds of
 * every process of the system and event-loop lag of the workers and of this process.
 */
import type { Child } from './children';
import { runLoad, type LoadResult } from './load';
import { createLagMonitor, CpuMeter, summariseLag, type LagSummary } from './proc';
import type { TurnRunner } from './turns';

export interface MeasuredRun {
  load: LoadResult;
  turnsPerSec: number;
  /** CPU seconds per process over the run: temporal, worker 1.., api, bench. */
  cpuSec: Record<string, number>;
  wallSec: number;
  /** Event-loop lag (ms) per worker process and of the bench process. */
  lag: Record<string, LagSummary>;
}

export interface MeasureOptions {
  task: TurnRunner;
  count: number;
  concurrency: number;
  timeCapMs: number;
  temporalPid?: number;
  workers: Child[];
  api?: Child;
}

export async function measureRun(o: MeasureOptions): Promise<MeasuredRun> {
  const pids: Record<string, number> = { bench: process.pid };
  if (o.temporalPid) pids.temporal = o.temporalPid;
  o.workers.forEach((w, i) => (pids[`worker ${i + 1}`] = w.pid));
  if (o.api) pids.api = o.api.pid;
  for (const w of o.workers) w.process.send({ type: 'lag-reset' });
  const ownLag = createLagMonitor();
  const meter = new CpuMeter(pids).start();
  const load = await runLoad({
    count: o.count,
    concurrency: o.concurrency,
    timeCapMs: o.timeCapMs,
    task: o.task,
  });
  const { wallSec, cpuSec } = meter.stop();
  ownLag.disable();
  const lag: Record<string, LagSummary> = { bench: summariseLag(ownLag) };
  const workerLags = await Promise.all(
    o.workers.map((w) =>
      w.request<LagSummary & { type: string }>({ type: 'lag' }, 'lag').catch(() => undefined),
    ),
  );
  workerLags.forEach((l, i) => {
    if (l) lag[`worker ${i + 1}`] = { p50: l.p50, p99: l.p99, max: l.max };
  });
  return { load, turnsPerSec: load.completed / (load.wallMs / 1000), cpuSec, wallSec, lag };
}

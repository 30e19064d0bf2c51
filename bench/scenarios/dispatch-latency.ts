/**
 * Dispatch latency: a notification enqueued on the backend → the agent's reply posted, through the
 * dispatcher Schedule (one run per DISPATCH_WINDOW_SEC, polling every DISPATCH_INTERVAL_SEC) and a
 * notificationTurn, at intervals 1 and 5 s; the time to drain 500 queued notifications; and how
 * many dispatcher executions an idle period costs, windowed against one poll per run.
 */
import type { Client, ScheduleHandle } from '@temporalio/client';
import type { DispatchResult } from '../../src/shared/dispatch';
import { deleteSchedule, ensureDispatcherSchedule, startDispatchNow } from '../../src/schedules/ensure';
import { makeSessionKey } from '../../src/shared/ids';
import { PLAIN, benchMessage } from '../lib/fake-model';
import { SCENARIO_PROFILE } from '../lib/profiles';
import { table, type BenchContext, type Scenario, scenarioParams } from '../lib/scenario';
import { fmt, fmtSpread, percentiles, spread, type Spread } from '../lib/stats';
import { barChart } from '../lib/svg';
import { BENCH_INTERNAL_TOKEN, uniqueQueue, type BenchSystem } from '../lib/system';
import { BENCH_ROLE, BENCH_TASK, runLabel } from '../lib/turns';

const FULL = {
  /** [DISPATCH_INTERVAL_SEC, DISPATCH_WINDOW_SEC]: windowed at 1 and 5 s, and one poll per run at 5 s (before). */
  latency: [
    [1, 300],
    [5, 300],
    [5, 5],
  ] as [number, number][],
  /** Notifications per repeat, enqueued at random moments within one interval (uniform over the tick phase). */
  samples: 8,
  repeats: 3,
  drain: { notifications: 500, users: 20, intervalSec: 5, repeats: 1, timeCapMs: 240_000 },
  /** Idle: nothing enqueued for this long, one poll per run (window = interval) vs a window. */
  idle: { seconds: 120, intervalSec: 5, windowSec: 30 },
};
const QUICK = {
  latency: [[1, 300]] as [number, number][],
  samples: 2,
  repeats: 1,
  drain: { notifications: 10, users: 2, intervalSec: 1, repeats: 1, timeCapMs: 60_000 },
  idle: { seconds: 12, intervalSec: 1, windowSec: 6 },
};
/** A notification whose reply has not appeared by then counts as lost and fails the run. */
const SAMPLE_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

export interface DispatchRow {
  intervalSec: number;
  windowSec: number;
  p50: Spread;
  p95: Spread;
  max: Spread;
  samples: number;
}

export interface DrainResult {
  notifications: number;
  intervalSec: number;
  seconds: Spread;
  perSecond: Spread;
  /** Set when the time cap ended a drain early: how many were acked by then. */
  cappedAt?: { seconds: number; acked: number };
}

export interface IdleRow {
  shape: string;
  windowSec: number;
  intervalSec: number;
  seconds: number;
  executions: number;
  perHour: number;
  /** History events of one idle run and the polls it made (windowed shape). */
  eventsPerRun?: number;
  pollsPerRun?: number;
}

export const dispatchLatency: Scenario<{ rows: DispatchRow[]; drain: DrainResult; idle: IdleRow[] }> = {
  id: 'dispatch-latency',
  title: 'Dispatch latency',
  description:
    'Notification enqueued → reply posted via the windowed dispatcher at 1 s and 5 s intervals, the time to drain 500, and dispatcher executions per idle hour.',
  async run(ctx: BenchContext) {
    const p = scenarioParams(ctx, FULL, QUICK);
    const sys = await ctx.system();
    const taskQueue = uniqueQueue('dispatch');
    const scheduleId = `bench-dispatcher-${taskQueue}`;
    await sys.startWorker({ taskQueue, tuning: SCENARIO_PROFILE.tuning });
    const rows: DispatchRow[] = [];
    const idle: IdleRow[] = [];
    const drainRuns: { seconds: number; perSecond: number }[] = [];
    let cappedAt: DrainResult['cappedAt'];
    try {
      // Idle first: a drain's backlog of turns would hold the dispatcher's activities in the queue.
      for (const [shape, windowSec] of [
        ['one poll per run (before)', p.idle.intervalSec],
        ['a window per run', p.idle.windowSec],
      ] as const) {
        const row = await idleRun(sys, `${scheduleId}-idle-${windowSec}`, taskQueue, {
          shape,
          windowSec,
          intervalSec: p.idle.intervalSec,
          seconds: p.idle.seconds,
        });
        idle.push(row);
        ctx.log(`  idle, ${shape}: ${row.executions} executions in ${row.seconds} s (${fmt(row.perHour)}/h)`);
      }
      for (const [intervalSec, windowSec] of p.latency) {
        const handle = await startDispatcher(sys, `${scheduleId}-${intervalSec}-${windowSec}`, taskQueue, {
          DISPATCH_INTERVAL_SEC: String(intervalSec),
          DISPATCH_WINDOW_SEC: String(windowSec),
        });
        const runs: number[][] = [];
        for (let r = 0; r < p.repeats; r++) {
          const label = runLabel('dl');
          const latencies = await Promise.all(
            Array.from({ length: p.samples }, async (_, i) => {
              await sleep(Math.random() * intervalSec * 1000);
              return timeOneNotification(sys, `${label}-${i}`);
            }),
          );
          runs.push(latencies);
          ctx.log(
            `  interval ${intervalSec} s, window ${windowSec} s, repeat ${r + 1}/${p.repeats}: p50 ${fmt(percentiles(latencies).p50)} ms`,
          );
        }
        rows.push({
          intervalSec,
          windowSec,
          p50: spread(runs.map((x) => percentiles(x).p50)),
          p95: spread(runs.map((x) => percentiles(x).p95)),
          max: spread(runs.map((x) => percentiles(x).max)),
          samples: p.samples,
        });
        await stopDispatcher(sys.client, handle);
      }
      const d = p.drain;
      const drainHandle = await startDispatcher(sys, `${scheduleId}-drain`, taskQueue, {
        DISPATCH_INTERVAL_SEC: String(d.intervalSec),
      });
      for (let r = 0; r < d.repeats; r++) {
        const res = await drain(sys, runLabel('drain'), d.notifications, d.users, d.timeCapMs);
        if (res.acked < d.notifications) {
          // A busy box: report how far it got instead of failing the whole scenario.
          cappedAt = { seconds: res.seconds, acked: res.acked };
          drainRuns.push({ seconds: NaN, perSecond: res.acked / res.seconds });
          ctx.log(`  drain capped: ${res.acked} of ${d.notifications} acked after ${fmt(res.seconds)} s`);
        } else {
          drainRuns.push({ seconds: res.seconds, perSecond: d.notifications / res.seconds });
          ctx.log(`  drained ${d.notifications} notifications in ${fmt(res.seconds)} s`);
        }
      }
      await stopDispatcher(sys.client, drainHandle);
    } finally {
      for (const id of await leftoverSchedules(sys.client, scheduleId))
        await stopDispatcher(sys.client, sys.client.schedule.getHandle(id)).catch(() => undefined);
      await sys.stopChildren();
    }
    const drainResult: DrainResult = {
      notifications: p.drain.notifications,
      intervalSec: p.drain.intervalSec,
      seconds: spread(drainRuns.map((x) => x.seconds)),
      perSecond: spread(drainRuns.map((x) => x.perSecond)),
      ...(cappedAt ? { cappedAt } : {}),
    };
    return { ...render(rows, drainResult, p.drain.repeats, idle), data: { rows, drain: drainResult, idle } };
  },
};

/**
 * Runs a dispatcher schedule of one shape with nothing to deliver for `seconds` and counts the
 * executions it started; for the windowed shape also one idle run's history and polls.
 */
async function idleRun(
  sys: BenchSystem,
  scheduleId: string,
  taskQueue: string,
  row: { shape: string; windowSec: number; intervalSec: number; seconds: number },
): Promise<IdleRow> {
  const handle = await startDispatcher(sys, scheduleId, taskQueue, {
    DISPATCH_INTERVAL_SEC: String(row.intervalSec),
    DISPATCH_WINDOW_SEC: String(row.windowSec),
  });
  try {
    const t0 = Date.now();
    await sleep(row.seconds * 1000);
    const { info } = await handle.describe();
    const seconds = Math.round((Date.now() - t0) / 1000);
    const executions = info.numActionsTaken;
    const out: IdleRow = { ...row, seconds, executions, perHour: (executions * 3600) / seconds };
    if (row.windowSec > row.intervalSec) Object.assign(out, await oneIdleRun(sys.client, handle));
    return out;
  } finally {
    await stopDispatcher(sys.client, handle);
  }
}

/** Ensures a dispatcher schedule and, as the worker does at start, starts a run at once. */
async function startDispatcher(
  sys: BenchSystem,
  scheduleId: string,
  taskQueue: string,
  env: Record<string, string>,
): Promise<ScheduleHandle> {
  const config = sys.config(taskQueue, env);
  const { handle } = await ensureDispatcherSchedule(sys.client, config, { scheduleId });
  await startDispatchNow(handle, config);
  return handle;
}

/** Deleting a schedule leaves its running window polling: end that run too. */
async function stopDispatcher(client: Client, handle: ScheduleHandle): Promise<void> {
  const { info } = await handle.describe();
  for (const run of info.runningActions)
    await client.workflow
      .getHandle(run.workflow.workflowId, run.workflow.firstExecutionRunId)
      .terminate('bench: next measurement')
      .catch(() => undefined);
  await deleteSchedule(client, handle.scheduleId);
}

async function leftoverSchedules(client: Client, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(prefix)) ids.push(s.scheduleId);
  return ids;
}

/** History events and polls of the schedule's latest finished run. */
async function oneIdleRun(
  client: Client,
  handle: ScheduleHandle,
): Promise<{ eventsPerRun?: number; pollsPerRun?: number }> {
  for (const a of (await handle.describe()).info.recentActions.reverse()) {
    const h = client.workflow.getHandle(a.action.workflow.workflowId, a.action.workflow.firstExecutionRunId);
    if ((await h.describe()).status.name !== 'COMPLETED') continue;
    const result = (await h.result()) as DispatchResult;
    return { eventsPerRun: (await h.fetchHistory()).events?.length, pollsPerRun: result.polls };
  }
  return {};
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function internal(sys: BenchSystem, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sys.backendUrl}${path}`, {
    method,
    headers: {
      'x-internal-token': BENCH_INTERNAL_TOKEN,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

function enqueue(sys: BenchSystem, userId: string): Promise<unknown> {
  return internal(sys, 'POST', '/api/mission-control/notifications', {
    user_id: userId,
    session_key: makeSessionKey(userId, BENCH_ROLE),
    content: benchMessage(PLAIN(0), 'A teammate mentioned you on the launch task.'),
    task_title: BENCH_TASK,
  });
}

interface Inspection {
  messages: { actor_type: string }[];
  notifications: { delivered: boolean }[];
}

function inspect(sys: BenchSystem, userId: string): Promise<Inspection> {
  return internal(
    sys,
    'GET',
    `/api/mission-control/_inspect?user_id=${encodeURIComponent(userId)}`,
  ) as Promise<Inspection>;
}

/** Enqueue one notification for a fresh user and wait for the agent's message: ms in between. */
async function timeOneNotification(sys: BenchSystem, userId: string): Promise<number> {
  const t0 = performance.now();
  await enqueue(sys, userId);
  while (performance.now() - t0 < SAMPLE_TIMEOUT_MS) {
    const seen = await inspect(sys, userId);
    if (seen.messages.some((m) => m.actor_type === 'agent')) return performance.now() - t0;
    await sleep(POLL_MS);
  }
  throw new Error(`no reply to a notification for ${userId} within ${SAMPLE_TIMEOUT_MS / 1000} s`);
}

/** Enqueue `count` notifications over `users` users, then wait until every one is acked (or the cap): seconds from the first enqueue. */
async function drain(
  sys: BenchSystem,
  label: string,
  count: number,
  users: number,
  capMs: number,
): Promise<{ seconds: number; acked: number }> {
  const ids = Array.from({ length: users }, (_, u) => `${label}-u${u}`);
  const t0 = performance.now();
  for (let i = 0; i < count; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, count - i) }, (_, k) => enqueue(sys, ids[(i + k) % users] as string)),
    );
  }
  for (;;) {
    const seen = await Promise.all(ids.map((u) => inspect(sys, u)));
    const acked = seen.reduce((n, s) => n + s.notifications.filter((x) => x.delivered).length, 0);
    const seconds = (performance.now() - t0) / 1000;
    if (acked >= count || performance.now() - t0 > capMs) return { seconds, acked };
    await sleep(500);
  }
}

function render(rows: DispatchRow[], drainResult: DrainResult, drainRepeats: number, idle: IdleRow[]) {
  const markdown = [
    table(
      ['DISPATCH_INTERVAL_SEC', 'DISPATCH_WINDOW_SEC', 'p50 ms', 'p95 ms', 'max ms', 'notifications/repeat'],
      rows.map((r) => [
        String(r.intervalSec),
        r.windowSec > r.intervalSec ? String(r.windowSec) : `${r.windowSec} (one poll per run, before)`,
        fmtSpread(r.p50),
        fmtSpread(r.p95),
        fmtSpread(r.max),
        String(r.samples),
      ]),
    ),
    '',
    "Each notification goes to a fresh user at a random moment; the latency ends when the agent's reply is on the backend " +
      `(polled every ${POLL_MS} ms). Model latency 0 ms: this is the dispatch path (wait for the next tick, one dispatcher run, ` +
      'a notificationTurn with its agentTurn child), not the model. Expect about half an interval plus one turn on average; ' +
      'at most one interval plus one turn. Windowed rows start a run at once, as the worker does; the last row is the shape before windows, measured in the same run.',
    '',
    table(
      ['drain', 'interval', 'seconds', 'notifications/s', 'repeats'],
      [
        [
          `${drainResult.notifications} notifications queued at once`,
          `${drainResult.intervalSec} s`,
          fmtSpread(drainResult.seconds),
          fmtSpread(drainResult.perSecond),
          String(drainRepeats),
        ],
      ],
    ),
    '',
    'Drain: from the first enqueue until the backend has every notification acked (the reply is posted before the ack).' +
      (drainResult.cappedAt
        ? ` **The drain hit its time cap**: ${drainResult.cappedAt.acked} of ${drainResult.notifications} acked after ${fmt(drainResult.cappedAt.seconds)} s; the rate is over that time.`
        : ''),
    '',
    table(
      [
        'idle dispatcher',
        'window s',
        'interval s',
        'idle for s',
        'executions',
        'executions/hour',
        'events of an idle run',
        'polls in it',
      ],
      idle.map((r) => [
        r.shape,
        String(r.windowSec),
        String(r.intervalSec),
        String(r.seconds),
        String(r.executions),
        fmt(r.perHour),
        r.eventsPerRun === undefined ? '–' : String(r.eventsPerRun),
        r.pollsPerRun === undefined ? '–' : String(r.pollsPerRun),
      ]),
    ),
    '',
    "Idle: nothing enqueued; executions are the schedule's actions taken (the run started at once included). " +
      'One poll per run is the shape before windows (every poll a workflow execution); a windowed run keeps its polls ' +
      'inside one activity, so its history does not grow with them. The default window (300 s) makes 12 executions an hour.',
  ].join('\n');
  const chart = barChart({
    title: 'Notification → reply latency',
    yLabel: 'ms (whisker = min–max of repeats)',
    categories: rows.map(
      (r) => `interval ${r.intervalSec} s${r.windowSec > r.intervalSec ? '' : ', 1 poll/run'}`,
    ),
    series: [
      { name: 'p50', values: rows.map((r) => ({ value: r.p50.median, lo: r.p50.min, hi: r.p50.max })) },
      { name: 'p95', values: rows.map((r) => ({ value: r.p95.median, lo: r.p95.min, hi: r.p95.max })) },
    ],
  });
  return {
    markdown,
    charts: [{ file: 'dispatch-latency.svg', title: 'Notification to reply latency', svg: chart }],
    targets: [],
  };
}

/**
 * Dispatch latency: a notification enqueued on the backend → the agent's reply posted, through the
 * dispatcher Schedule and a notificationTurn, at DISPATCH_INTERVAL_SEC 1 and 5; and the time to
 * drain 500 queued notifications.
 */
import { deleteSchedule, ensureDispatcherSchedule } from '../../src/schedules/ensure';
import { makeSessionKey } from '../../src/shared/ids';
import { PLAIN, benchMessage } from '../lib/fake-model';
import { SCENARIO_PROFILE } from '../lib/profiles';
import { table, type BenchContext, type Scenario } from '../lib/scenario';
import { fmt, fmtSpread, percentiles, spread, type Spread } from '../lib/stats';
import { barChart } from '../lib/svg';
import { BENCH_INTERNAL_TOKEN, uniqueQueue, type BenchSystem } from '../lib/system';
import { BENCH_ROLE, BENCH_TASK, runLabel } from '../lib/turns';

const FULL = {
  intervalsSec: [1, 5],
  /** Notifications per repeat, enqueued at random moments within one interval (uniform over the tick phase). */
  samples: 8,
  repeats: 3,
  drain: { notifications: 500, users: 20, intervalSec: 5, repeats: 1, timeCapMs: 240_000 },
};
const QUICK = {
  intervalsSec: [1],
  samples: 2,
  repeats: 1,
  drain: { notifications: 10, users: 2, intervalSec: 1, repeats: 1, timeCapMs: 60_000 },
};
/** A notification whose reply has not appeared by then counts as lost and fails the run. */
const SAMPLE_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

export interface DispatchRow {
  intervalSec: number;
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

export const dispatchLatency: Scenario<{ rows: DispatchRow[]; drain: DrainResult }> = {
  id: 'dispatch-latency',
  title: 'Dispatch latency',
  description:
    'Notification enqueued → reply posted via the dispatcher Schedule at 1 s and 5 s intervals, and the time to drain 500.',
  async run(ctx: BenchContext) {
    const p = ctx.quick ? QUICK : FULL;
    const sys = await ctx.system();
    const taskQueue = uniqueQueue('dispatch');
    const scheduleId = `bench-dispatcher-${taskQueue}`;
    await sys.startWorker({ taskQueue, tuning: SCENARIO_PROFILE.tuning });
    const rows: DispatchRow[] = [];
    const drainRuns: { seconds: number; perSecond: number }[] = [];
    let cappedAt: DrainResult['cappedAt'];
    try {
      for (const intervalSec of p.intervalsSec) {
        await ensureDispatcherSchedule(
          sys.client,
          sys.config(taskQueue, { DISPATCH_INTERVAL_SEC: String(intervalSec) }),
          { scheduleId },
        );
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
            `  interval ${intervalSec} s, repeat ${r + 1}/${p.repeats}: p50 ${fmt(percentiles(latencies).p50)} ms`,
          );
        }
        rows.push({
          intervalSec,
          p50: spread(runs.map((x) => percentiles(x).p50)),
          p95: spread(runs.map((x) => percentiles(x).p95)),
          max: spread(runs.map((x) => percentiles(x).max)),
          samples: p.samples,
        });
      }
      const d = p.drain;
      await ensureDispatcherSchedule(
        sys.client,
        sys.config(taskQueue, { DISPATCH_INTERVAL_SEC: String(d.intervalSec) }),
        { scheduleId },
      );
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
    } finally {
      await deleteSchedule(sys.client, scheduleId).catch(() => undefined);
      await sys.stopChildren();
    }
    const drainResult: DrainResult = {
      notifications: p.drain.notifications,
      intervalSec: p.drain.intervalSec,
      seconds: spread(drainRuns.map((x) => x.seconds)),
      perSecond: spread(drainRuns.map((x) => x.perSecond)),
      ...(cappedAt ? { cappedAt } : {}),
    };
    return { ...render(rows, drainResult, p.drain.repeats), data: { rows, drain: drainResult } };
  },
};

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

function render(rows: DispatchRow[], drainResult: DrainResult, drainRepeats: number) {
  const markdown = [
    table(
      ['DISPATCH_INTERVAL_SEC', 'p50 ms', 'p95 ms', 'max ms', 'notifications/repeat'],
      rows.map((r) => [
        String(r.intervalSec),
        fmtSpread(r.p50),
        fmtSpread(r.p95),
        fmtSpread(r.max),
        String(r.samples),
      ]),
    ),
    '',
    "Each notification goes to a fresh user at a random moment; the latency ends when the agent's reply is on the backend " +
      `(polled every ${POLL_MS} ms). Model latency 0 ms: this is the dispatch path (wait for the next tick, one dispatcher run, ` +
      'a notificationTurn with its agentTurn child), not the model. Expect about half an interval plus one turn on average.',
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
  ].join('\n');
  const chart = barChart({
    title: 'Notification → reply latency',
    yLabel: 'ms (whisker = min–max of repeats)',
    categories: rows.map((r) => `interval ${r.intervalSec} s`),
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

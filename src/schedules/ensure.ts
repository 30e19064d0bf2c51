/**
 * Our Temporal Schedules (docs/architecture.md, "Schedules"), ensured rather than just created:
 * each function creates its schedule by stable id, or, when it exists, updates it as a function of
 * its current description, so running it twice (or from every worker replica) is harmless and the
 * latest call's spec wins.
 *
 *   clasper-dispatcher                  every DISPATCH_WINDOW_SEC  → dispatcher (polls every DISPATCH_INTERVAL_SEC)
 *   clasper-heartbeat/<user_id>/<role>  every 15 min (or a cron)   → heartbeat
 *   clasper-standup/<user_id>/<role>    STANDUP_CRON in a time zone → standup
 *
 * One exception keeps operators in charge: a spec set through the API (`source: 'api'`, marked in
 * the schedule's note) is kept by the worker's start-up ensure, which still updates the action and
 * policies. Deleting the schedule through the API hands it back to the env settings.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleHandle,
  type ScheduleOptions,
  type ScheduleSpec,
} from '@temporalio/client';
import { isValidTimeZone, timeoutSettings, type Config } from '../config';
import { MissionControlClient } from '../clients/mission-control';
import { connectTemporalClient } from '../clients/temporal/connection';
import {
  DISPATCHER_SCHEDULE_ID,
  HEARTBEAT_SCHEDULE_PREFIX,
  STANDUP_SCHEDULE_PREFIX,
  makeHeartbeatScheduleId,
  makeSessionKey,
  makeStandupScheduleId,
} from '../shared/ids';
import type { DispatcherInput } from '../shared/dispatch';
import type { HeartbeatInput } from '../shared/heartbeat';
import { turnSearchAttributes } from '../shared/search-attributes';
import type { StandupInput } from '../shared/standup';
import { executionTimeoutMs } from '../shared/timeouts';
import { cronProblem } from './cron';

export const DEFAULT_HEARTBEAT_INTERVAL_MINUTES = 15;
/** A week: longer gaps between heartbeats are better written as a cron. */
export const MAX_HEARTBEAT_INTERVAL_MINUTES = 7 * 24 * 60;

// Catch-up after a Temporal outage (the server default is a year, i.e. a burst of stale runs):
// a missed poll or heartbeat is worthless a minute later, the next tick does the same work...
const DISPATCH_CATCHUP_WINDOW = '1m';
const HEARTBEAT_CATCHUP_WINDOW = '1m';
// ...while a standup still helps after a short outage, but not as a stale report hours later.
const STANDUP_CATCHUP_WINDOW = '1h';

/** Marks a spec set through the API; the worker's start-up ensure leaves such a spec alone. */
export const API_OWNED_NOTE =
  'spec set through PUT /api/schedules; the worker keeps it until the schedule is deleted';

/**
 * Why the dispatcher schedule is paused when the worker paused it: the backend stopped offering
 * dispatch. The next ensure that finds dispatch offered again unpauses it and clears the note.
 */
export const DISPATCH_UNSUPPORTED_REASON = "the backend's capabilities do not include notifications_dispatch";
export const DISPATCH_UNSUPPORTED_NOTE = `paused by the worker: ${DISPATCH_UNSUPPORTED_REASON}`;
export const NO_INTERNAL_TOKEN_REASON =
  'INTERNAL_API_TOKEN is not set, so notification dispatch cannot poll the backend';

export interface Agent {
  userId: string;
  role: string;
}

export type HeartbeatTiming = { intervalMinutes: number } | { cron: string; timezone?: string };

export interface StandupTiming {
  cron: string;
  timezone: string;
}

export interface EnsureOptions {
  /** Omitted: a new schedule runs, an existing one keeps its paused state. */
  paused?: boolean;
  /** `api` marks the spec as operator-owned (see the module comment). Default `config`. */
  source?: 'config' | 'api';
}

export type EnsureOutcome = 'created' | 'updated' | 'kept' | 'skipped';

export interface EnsureReport {
  scheduleId: string;
  outcome: EnsureOutcome;
  reason?: string;
}

/** A spec we refuse to send (the API validates earlier; this guards scripts and config). */
export class InvalidScheduleSpecError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
    this.name = 'InvalidScheduleSpecError';
  }
}

export type ScheduleKind = 'dispatcher' | 'heartbeat' | 'standup';

/** What one of our schedule ids names; null for anything else (other apps' schedules, typos). */
export function parseScheduleId(id: string): { kind: ScheduleKind; userId?: string; role?: string } | null {
  if (id === DISPATCHER_SCHEDULE_ID || id.startsWith(`${DISPATCHER_SCHEDULE_ID}/`))
    return { kind: 'dispatcher' };
  for (const [prefix, kind] of [
    [HEARTBEAT_SCHEDULE_PREFIX, 'heartbeat'],
    [STANDUP_SCHEDULE_PREFIX, 'standup'],
  ] as const) {
    if (!id.startsWith(prefix)) continue;
    const parts = id.slice(prefix.length).split('/');
    if (parts.length !== 2 || !parts[0] || !parts[1]) return null;
    return { kind, userId: parts[0], role: parts[1] };
  }
  return null;
}

/** `{every: '15m'}` or a checked cron; throws InvalidScheduleSpecError naming the field. */
function heartbeatSpec(timing: HeartbeatTiming, defaultTimezone: string): ScheduleSpec {
  if ('intervalMinutes' in timing) {
    const n = timing.intervalMinutes;
    if (!Number.isInteger(n) || n < 1 || n > MAX_HEARTBEAT_INTERVAL_MINUTES) {
      throw new InvalidScheduleSpecError(
        'interval_minutes',
        `must be a whole number from 1 to ${MAX_HEARTBEAT_INTERVAL_MINUTES}, got ${n}`,
      );
    }
    return { intervals: [{ every: `${n}m` }] };
  }
  return cronSpec(timing.cron, timing.timezone ?? defaultTimezone);
}

function cronSpec(cron: string, timezone: string): ScheduleSpec {
  const problem = cronProblem(cron);
  if (problem) throw new InvalidScheduleSpecError('cron', problem);
  if (!isValidTimeZone(timezone)) {
    throw new InvalidScheduleSpecError(
      'timezone',
      `must be an IANA time zone such as UTC or Europe/Berlin, got '${timezone}'`,
    );
  }
  return { cronExpressions: [cron.trim()], timezone };
}

export async function ensureDispatcherSchedule(
  client: Client,
  config: Config,
  opts: EnsureOptions & { scheduleId?: string } = {},
): Promise<EnsureReport & { handle: ScheduleHandle }> {
  const scheduleId = opts.scheduleId ?? DISPATCHER_SCHEDULE_ID;
  const { intervalSec, windowSec } = config.dispatch;
  const timeouts = timeoutSettings(config);
  // The timeouts: the settings its notification turns' deadlines derive from.
  const input: DispatcherInput = { windowSec, intervalSec, timeouts };
  return ensure(
    client,
    {
      scheduleId,
      // Each run covers a window and polls within it, so the schedule fires once a window (a
      // window no longer than the interval is one poll a run, fired every interval). An existing
      // schedule of the one-poll-a-run shape gets this spec and action on the next ensure.
      spec: { intervals: [{ every: `${Math.max(windowSec, intervalSec)}s` }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'dispatcher',
        taskQueue: config.temporal.taskQueue,
        args: [input],
        // The server appends each tick's time: `clasper-dispatcher-2026-11-23T09:00:05Z`.
        workflowId: scheduleId,
        // The window and a late last poll's budget (src/shared/timeouts.ts), so BUFFER_ONE's next
        // run waits for a slow run instead of a timeout cutting it short.
        workflowExecutionTimeout: executionTimeoutMs('dispatcher', timeouts),
        staticSummary: 'poll undelivered notifications and start one turn each',
      },
      // BUFFER_ONE: one run at a time, and a run that ends a little after its tick (a slow last
      // poll) is followed at once instead of leaving a whole window without polls, as SKIP would.
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: DISPATCH_CATCHUP_WINDOW },
    },
    opts,
  );
}

/**
 * The action of an agent's heartbeat or standup schedule: its workflow, with the workflow id
 * named after the schedule, tagged with the search attributes of the turn it runs.
 */
function agentAction(
  config: Config,
  agent: Agent,
  scheduleId: string,
  workflowType: 'heartbeat' | 'standup',
  run: { args: HeartbeatInput | StandupInput; summary: string },
): ScheduleOptions['action'] {
  return {
    type: 'startWorkflow',
    workflowType,
    taskQueue: config.temporal.taskQueue,
    args: [run.args],
    workflowId: scheduleId,
    workflowExecutionTimeout: executionTimeoutMs(workflowType, timeoutSettings(config)),
    typedSearchAttributes: turnSearchAttributes({
      ...agent,
      sessionKey: makeSessionKey(agent.userId, agent.role),
      trigger: workflowType,
    }),
    staticSummary: run.summary,
  };
}

export async function ensureHeartbeatSchedule(
  client: Client,
  config: Config,
  agent: Agent,
  timing: HeartbeatTiming = { intervalMinutes: DEFAULT_HEARTBEAT_INTERVAL_MINUTES },
  opts: EnsureOptions = {},
): Promise<EnsureReport & { handle: ScheduleHandle }> {
  const scheduleId = makeHeartbeatScheduleId(agent.userId, agent.role);
  return ensure(
    client,
    {
      scheduleId,
      spec: heartbeatSpec(timing, config.agent.defaultTimezone),
      action: agentAction(config, agent, scheduleId, 'heartbeat', {
        args: { userId: agent.userId, role: agent.role, timeouts: timeoutSettings(config) },
        summary: `heartbeat of ${agent.role} for ${agent.userId}`,
      }),
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: HEARTBEAT_CATCHUP_WINDOW },
    },
    opts,
  );
}

export async function ensureStandupSchedule(
  client: Client,
  config: Config,
  agent: Agent,
  timing: StandupTiming = { cron: config.schedules.standupCron, timezone: config.schedules.standupTimezone },
  opts: EnsureOptions = {},
): Promise<EnsureReport & { handle: ScheduleHandle }> {
  const scheduleId = makeStandupScheduleId(agent.userId, agent.role);
  return ensure(
    client,
    {
      scheduleId,
      spec: cronSpec(timing.cron, timing.timezone),
      action: agentAction(config, agent, scheduleId, 'standup', {
        args: { userId: agent.userId, role: agent.role, timezone: timing.timezone },
        summary: `daily standup of ${agent.role} for ${agent.userId}`,
      }),
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: STANDUP_CATCHUP_WINDOW },
    },
    opts,
  );
}

/**
 * What the worker ensures at start: the dispatcher (when INTERNAL_API_TOKEN is set; without it
 * every poll would fail) and a heartbeat and a standup schedule per CLASPER_AGENTS entry.
 */
export async function ensureSchedules(
  client: Client,
  config: Config,
  opts: {
    dispatcherScheduleId?: string;
    /** From the backend's capabilities; undefined when they could not be read (ensured as configured). */
    dispatchOffered?: boolean;
    /** Start a dispatcher run now unless one is running (see startDispatchNow). */
    startDispatcher?: boolean;
  } = {},
): Promise<EnsureReport[]> {
  const reports: EnsureReport[] = [];
  if (config.backend.internalToken && opts.dispatchOffered === false) {
    reports.push(
      await pauseUnsupportedDispatcher(client, opts.dispatcherScheduleId ?? DISPATCHER_SCHEDULE_ID),
    );
  } else if (config.backend.internalToken) {
    const { handle, ...report } = await ensureDispatcherSchedule(client, config, {
      scheduleId: opts.dispatcherScheduleId,
    });
    if (opts.startDispatcher && (await startDispatchNow(handle, config)))
      report.reason = 'a run started now, the schedule takes over at its next tick';
    reports.push(report);
  } else {
    reports.push({
      scheduleId: opts.dispatcherScheduleId ?? DISPATCHER_SCHEDULE_ID,
      outcome: 'skipped',
      reason: NO_INTERNAL_TOKEN_REASON,
    });
  }
  for (const agent of config.schedules.agents) {
    const { handle: _hb, ...heartbeat } = await ensureHeartbeatSchedule(client, config, agent);
    const { handle: _su, ...standup } = await ensureStandupSchedule(client, config, agent);
    reports.push(heartbeat, standup);
  }
  return reports;
}

/**
 * The schedule fires once a window, so a new deployment, a changed spec or a worker back after an
 * outage would wait up to a window for its first poll: start a run now instead, which covers the
 * rest of the current window. Skipped when paused, when a run is going (overlap SKIP on this one
 * trigger) and when each run is one poll anyway. True when it triggered.
 */
export async function startDispatchNow(handle: ScheduleHandle, config: Config): Promise<boolean> {
  if (config.dispatch.windowSec <= config.dispatch.intervalSec) return false;
  const { state, info } = await handle.describe();
  if (state.paused || info.runningActions.length > 0) return false;
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  return true;
}

/**
 * The worker's start-up step: connect a client, ensure, print one line per schedule, disconnect.
 * A failure stops the worker: a spec the server refuses should be fixed, not run without.
 */
export async function ensureSchedulesAtStart(config: Config, write: (line: string) => void): Promise<void> {
  const dispatchOffered = await backendOffersDispatch(config);
  const { client, close } = await connectTemporalClient(config);
  try {
    for (const r of await ensureSchedules(client, config, {
      dispatchOffered: dispatchOffered.offered,
      startDispatcher: true,
    })) {
      write(`schedule ${r.scheduleId}: ${r.outcome}${r.reason ? ` (${r.reason})` : ''}\n`);
    }
  } catch (err) {
    throw new Error(`could not ensure schedules: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  } finally {
    await close();
  }
  if (dispatchOffered.error)
    write(
      `schedule ${DISPATCHER_SCHEDULE_ID}: backend capabilities could not be read (${dispatchOffered.error}); ensured as configured\n`,
    );
}

/** The identity of the worker's own capabilities call (the contract defines only agent calls). */
const SCHEDULES_IDENTITY = { userId: 'clasper-schedules', role: 'schedules' };

/**
 * Does the backend offer notification dispatch (`features.notifications_dispatch`)? Undefined, with
 * the reason, when its capabilities cannot be read: a backend outage must not stop a worker.
 */
export async function backendOffersDispatch(
  config: Config,
  missionControl: MissionControlClient = new MissionControlClient(config.backend),
): Promise<{ offered?: boolean; error?: string }> {
  if (!config.backend.internalToken) return {};
  try {
    const caps = await missionControl.capabilities(SCHEDULES_IDENTITY, {
      signal: AbortSignal.timeout(5_000),
    });
    return { offered: caps.features.notifications_dispatch };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** A dispatcher on a backend without dispatch would fail every tick: not created, or paused with the reason. */
export async function pauseUnsupportedDispatcher(client: Client, scheduleId: string): Promise<EnsureReport> {
  const reason = DISPATCH_UNSUPPORTED_REASON;
  const handle = client.schedule.getHandle(scheduleId);
  try {
    const { state } = await handle.describe();
    if (!state.paused || state.note !== DISPATCH_UNSUPPORTED_NOTE)
      await handle.pause(DISPATCH_UNSUPPORTED_NOTE);
    return { scheduleId, outcome: 'skipped', reason: `paused: ${reason}` };
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    return { scheduleId, outcome: 'skipped', reason: `not created: ${reason}` };
  }
}

/** False when there was no such schedule. */
export async function deleteSchedule(client: Client, scheduleId: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(scheduleId).delete();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

/** Runs the schedule's action now, even while a previous run is still going. False when unknown. */
export async function triggerSchedule(client: Client, scheduleId: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

async function ensure(
  client: Client,
  desired: ScheduleOptions,
  opts: EnsureOptions,
): Promise<EnsureReport & { handle: ScheduleHandle }> {
  const fromApi = opts.source === 'api';
  try {
    const handle = await client.schedule.create({
      ...desired,
      state: { paused: opts.paused ?? false, ...(fromApi ? { note: API_OWNED_NOTE } : {}) },
    });
    return { scheduleId: desired.scheduleId, outcome: 'created', handle };
  } catch (err) {
    // The server's ALREADY_EXISTS is the only signal; anything else (bad spec, no server) is the caller's.
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(desired.scheduleId);
  let outcome: EnsureOutcome = 'updated';
  // `update` may call this more than once (conflict retries), so it only reads `prev`.
  await handle.update((prev) => {
    const keepSpec = !fromApi && prev.state.note === API_OWNED_NOTE;
    outcome = keepSpec ? 'kept' : 'updated';
    return {
      spec: keepSpec ? prev.spec : desired.spec,
      action: desired.action,
      policies: desired.policies,
      state: {
        // Ensured again, so dispatch is offered again: a pause for its absence ends here.
        paused:
          keepSpec || opts.paused === undefined
            ? prev.state.paused && prev.state.note !== DISPATCH_UNSUPPORTED_NOTE
            : opts.paused,
        note: fromApi
          ? API_OWNED_NOTE
          : prev.state.note === DISPATCH_UNSUPPORTED_NOTE
            ? undefined
            : prev.state.note,
        remainingActions: prev.state.remainingActions,
      },
    };
  });
  return { scheduleId: desired.scheduleId, outcome, handle };
}

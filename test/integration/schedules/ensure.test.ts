/**
 * Managing schedules against the real dev server: ensure functions are idempotent and the latest
 * spec wins; the worker's start-up ensure keeps specs set through the API; the /api/schedules
 * routes validate (400 naming the field), list, replace, trigger and delete.
 */
import crypto from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import {
  API_OWNED_NOTE,
  DISPATCH_UNSUPPORTED_NOTE,
  ensureDispatcherSchedule,
  ensureHeartbeatSchedule,
  ensureSchedules,
  ensureStandupSchedule,
} from '../../../src/schedules/ensure';
import { loadConfig } from '../../../src/config';
import { makeHeartbeatScheduleId, makeStandupScheduleId } from '../../../src/shared/ids';
import type { ScheduleView } from '../../../src/schedules/describe';
import {
  newRun,
  recentRunIds,
  trackSchedule,
  uniqueUser,
  useScheduleStack,
  waitFor,
} from '../workflows/helpers';

const DAEMON_KEY = 'schedules-test-daemon-key';
const STANDUP_TIMEZONE = 'America/Sao_Paulo';
const stack = useScheduleStack({ env: { AGENT_DAEMON_API_KEY: DAEMON_KEY, STANDUP_TIMEZONE } });

function api(
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  url: string,
  payload?: unknown,
  key: string | null = DAEMON_KEY,
) {
  return stack().api.inject({
    method,
    url,
    headers: key === null ? {} : { 'x-agent-daemon-key': key },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

describe('ensure… functions', () => {
  it('ensuring twice succeeds and the second spec wins', async () => {
    const agent = { userId: uniqueUser(), role: 'lead' };
    const { client, config } = stack();
    trackSchedule(makeHeartbeatScheduleId(agent.userId, agent.role));
    trackSchedule(makeStandupScheduleId(agent.userId, agent.role));

    expect(
      (await ensureHeartbeatSchedule(client, config, agent, { intervalMinutes: 30 }, { paused: true }))
        .outcome,
    ).toBe('created');
    const second = await ensureHeartbeatSchedule(client, config, agent, { intervalMinutes: 45 });
    expect(second.outcome).toBe('updated');
    const hb = await second.handle.describe();
    expect(hb.spec.intervals).toEqual([expect.objectContaining({ every: 45 * 60_000 })]);
    expect(hb.state.paused).toBe(true); // paused omitted: kept
    expect(hb.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 60_000 });
    expect(hb.action).toMatchObject({
      workflowType: 'heartbeat',
      taskQueue: stack().taskQueue,
      args: [agent],
    });

    await ensureStandupSchedule(
      client,
      config,
      agent,
      { cron: '0 9 * * *', timezone: 'Europe/Berlin' },
      { paused: true },
    );
    const su = await (
      await ensureStandupSchedule(client, config, agent, { cron: '30 8 * * MON-FRI', timezone: 'Asia/Tokyo' })
    ).handle.describe();
    expect(su.spec.timezone).toBe('Asia/Tokyo');
    expect(su.spec.calendars).toHaveLength(1);
    expect(su.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 8, end: 8, step: 1 }],
      minute: [{ start: 30, end: 30, step: 1 }],
    });
    expect(su.action.args).toEqual([{ ...agent, timezone: 'Asia/Tokyo' }]);
  });

  it('the worker start-up ensure creates per-agent schedules and keeps a spec set through the API', async () => {
    const userId = uniqueUser();
    const dispatcherScheduleId = trackSchedule(`clasper-dispatcher/test-${crypto.randomUUID()}`);
    const heartbeatId = trackSchedule(makeHeartbeatScheduleId(userId, 'lead'));
    const standupId = trackSchedule(makeStandupScheduleId(userId, 'lead'));
    const config = loadConfig({
      TEMPORAL_ADDRESS: stack().config.temporal.address,
      CLASPER_TASK_QUEUE: stack().taskQueue,
      INTERNAL_API_TOKEN: 'x',
      DISPATCH_INTERVAL_SEC: '3600',
      CLASPER_AGENTS: `${userId}:lead`,
    });
    const first = await ensureSchedules(stack().client, config, { dispatcherScheduleId });
    expect(first.map((r) => [r.scheduleId, r.outcome])).toEqual([
      [dispatcherScheduleId, 'created'],
      [heartbeatId, 'created'],
      [standupId, 'created'],
    ]);
    // Paused so they never fire on the shared server while the test runs.
    for (const id of [dispatcherScheduleId, heartbeatId, standupId])
      await stack().client.schedule.getHandle(id).pause();

    const put = await api('PUT', `/api/schedules/heartbeat/${userId}/lead`, { interval_minutes: 20 });
    expect(put.statusCode).toBe(200);
    const again = await ensureSchedules(stack().client, config, { dispatcherScheduleId });
    expect(again.map((r) => r.outcome)).toEqual(['updated', 'kept', 'updated']);
    const hb = await stack().client.schedule.getHandle(heartbeatId).describe();
    expect(hb.spec.intervals).toEqual([expect.objectContaining({ every: 20 * 60_000 })]);
    expect(hb.state.note).toBe(API_OWNED_NOTE);

    const noToken = await ensureSchedules(
      stack().client,
      { ...config, backend: { ...config.backend, internalToken: undefined } },
      { dispatcherScheduleId },
    );
    expect(noToken[0]).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining('INTERNAL_API_TOKEN'),
    });
  });

  it('the dispatcher follows the backend capabilities: not created, paused with the reason, resumed', async () => {
    const dispatcherScheduleId = trackSchedule(`clasper-dispatcher/test-${crypto.randomUUID()}`);
    const config = loadConfig({
      TEMPORAL_ADDRESS: stack().config.temporal.address,
      CLASPER_TASK_QUEUE: stack().taskQueue,
      INTERNAL_API_TOKEN: 'x',
      DISPATCH_INTERVAL_SEC: '3600',
    });
    const { client } = stack();
    const ensureWith = (dispatchOffered: boolean) =>
      ensureSchedules(client, config, { dispatcherScheduleId, dispatchOffered });
    const state = async () => (await client.schedule.getHandle(dispatcherScheduleId).describe()).state;

    expect(await ensureWith(false)).toEqual([
      {
        scheduleId: dispatcherScheduleId,
        outcome: 'skipped',
        reason: "not created: the backend's capabilities do not include notifications_dispatch",
      },
    ]);
    await expect(state()).rejects.toThrow();

    expect((await ensureWith(true))[0]?.outcome).toBe('created');
    expect(await ensureWith(false)).toEqual([
      expect.objectContaining({
        reason: "paused: the backend's capabilities do not include notifications_dispatch",
      }),
    ]);
    expect(await state()).toMatchObject({ paused: true, note: DISPATCH_UNSUPPORTED_NOTE });

    expect((await ensureWith(true))[0]?.outcome).toBe('updated');
    const resumed = await state();
    expect(resumed.paused).toBe(false);
    expect(resumed.note ?? '').toBe('');
  });
});

describe('the dispatcher schedule of an earlier deployment', () => {
  it('one poll a run every DISPATCH_INTERVAL_SEC (overlap skip) becomes one run a window (buffer one), paused state and note kept', async () => {
    const scheduleId = trackSchedule(`clasper-dispatcher/test-${crypto.randomUUID()}`);
    const { client } = stack();
    // What ensureDispatcherSchedule created before windows: every 5 s, no input, overlap skip.
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '5s' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'dispatcher',
        taskQueue: stack().taskQueue,
        args: [],
        workflowId: scheduleId,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
      state: { paused: true, note: 'paused by an operator for maintenance' },
    });
    const config = loadConfig({
      TEMPORAL_ADDRESS: stack().config.temporal.address,
      CLASPER_TASK_QUEUE: stack().taskQueue,
      INTERNAL_API_TOKEN: 'x',
    });
    const report = await ensureDispatcherSchedule(client, config, { scheduleId });
    expect(report.outcome).toBe('updated');
    const after = await report.handle.describe();
    expect(after.spec.intervals).toEqual([expect.objectContaining({ every: 300_000 })]);
    expect(after.action).toMatchObject({
      workflowType: 'dispatcher',
      args: [{ windowSec: 300, intervalSec: 5 }],
    });
    expect(after.policies).toMatchObject({ overlap: 'BUFFER_ONE', catchupWindow: 60_000 });
    expect(after.state).toMatchObject({ paused: true, note: 'paused by an operator for maintenance' });
  });
});

describe('/api/schedules', () => {
  it('needs the daemon key', async () => {
    expect((await api('GET', '/api/schedules', undefined, null)).statusCode).toBe(401);
    expect((await api('GET', '/api/schedules', undefined, 'wrong')).statusCode).toBe(403);
  });

  it('PUT heartbeat: interval, then cron and paused; the second replaces the first', async () => {
    const user = uniqueUser();
    trackSchedule(makeHeartbeatScheduleId(user, 'lead'));
    const first = await api('PUT', `/api/schedules/heartbeat/${user}/lead`, {
      interval_minutes: 20,
      paused: true,
    });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      schedule_id: `clasper-heartbeat/${user}/lead`,
      kind: 'heartbeat',
      user_id: user,
      role: 'lead',
      workflow_type: 'heartbeat',
      spec: { intervals: [{ every_seconds: 1200, offset_seconds: 0 }], calendars: [] },
      paused: true,
    });
    const second = await api('PUT', `/api/schedules/heartbeat/${user}/lead`, {
      cron: '*/10 8-18 * * MON-FRI',
      timezone: 'Europe/Berlin',
    });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({
      spec: { intervals: [], calendars: ['*/10 8-18 * * 1-5'], timezone: 'Europe/Berlin' },
      paused: true,
    });
  });

  it('PUT standup: next action times are in the configured time zone (09:00 Tokyo = 00:00 UTC)', async () => {
    const user = uniqueUser();
    trackSchedule(makeStandupScheduleId(user, 'lead'));
    const res = await api('PUT', `/api/schedules/standup/${user}/lead`, {
      cron: '0 9 * * *',
      timezone: 'Asia/Tokyo',
      paused: false,
    });
    expect(res.statusCode).toBe(200);
    const view = res.json() as ScheduleView;
    expect(view.spec).toEqual({ intervals: [], calendars: ['0 9 * * *'], timezone: 'Asia/Tokyo' });
    expect(view.next_action_times.length).toBeGreaterThan(0);
    for (const t of view.next_action_times) expect(t).toMatch(/T00:00:00\.000Z$/);
    // Pause it again: it must not fire on the shared server.
    const paused = await api('PUT', `/api/schedules/standup/${user}/lead`, {
      cron: '0 9 * * *',
      timezone: 'Asia/Tokyo',
      paused: true,
    });
    expect(paused.json()).toMatchObject({ paused: true });
  });

  it('PUT standup without a timezone runs in STANDUP_TIMEZONE, like the worker-made standups', async () => {
    const user = uniqueUser();
    const id = trackSchedule(makeStandupScheduleId(user, 'lead'));
    const res = await api('PUT', `/api/schedules/standup/${user}/lead`, { cron: '0 9 * * *', paused: true });
    expect(res.statusCode).toBe(200);
    expect((res.json() as ScheduleView).spec.timezone).toBe(STANDUP_TIMEZONE);
    // The standup itself dates its document in the same zone.
    const { action } = await stack().client.schedule.getHandle(id).describe();
    expect(action.args).toEqual([{ userId: user, role: 'lead', timezone: STANDUP_TIMEZONE }]);
  });

  it.each([
    ['heartbeat', { cron: '0 25 * * *' }, 'body.cron', /hour/],
    ['heartbeat', { cron: '0 9 * *' }, 'body.cron', /5 fields/],
    ['heartbeat', { interval_minutes: 0 }, 'body.interval_minutes', /at least 1/],
    ['heartbeat', { interval_minutes: 10, cron: '0 9 * * *' }, 'body.interval_minutes', /exactly one/],
    ['heartbeat', {}, 'body.interval_minutes', /exactly one/],
    ['standup', { cron: '0 9 * * *', timezone: 'Mars/Olympus' }, 'body.timezone', /IANA/],
    ['standup', { cron: '@fortnightly', timezone: 'UTC' }, 'body.cron', /shorthand/],
    ['standup', { timezone: 'UTC' }, 'body.cron', /expected string/i],
  ])('PUT %s %j → 400 naming %s', async (kind, body, field, message) => {
    const res = await api('PUT', `/api/schedules/${kind}/${uniqueUser()}/lead`, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toContain(field);
    expect(res.json().error).toMatch(message);
  });

  it('PUT with a bad role in the path → 400 naming it', async () => {
    const res = await api('PUT', `/api/schedules/heartbeat/${uniqueUser()}/bad%20role`, {
      interval_minutes: 5,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toContain('params.role');
  });

  it('GET lists ours; trigger runs one (URL-encoded id); DELETE removes it; unknown ids are 404', async () => {
    const user = uniqueUser();
    const id = trackSchedule(makeHeartbeatScheduleId(user, 'lead'));
    expect(
      (await api('PUT', `/api/schedules/heartbeat/${user}/lead`, { interval_minutes: 60, paused: true }))
        .statusCode,
    ).toBe(200);

    const listed = await waitFor(
      'the schedule to show up in the list (visibility is eventually consistent)',
      async () => {
        const res = await api('GET', '/api/schedules');
        expect(res.statusCode).toBe(200);
        return (res.json().schedules as ScheduleView[]).find((s) => s.schedule_id === id);
      },
    );
    expect(listed).toMatchObject({
      kind: 'heartbeat',
      user_id: user,
      paused: true,
      spec: { intervals: [{ every_seconds: 3600 }] },
    });

    const handle = stack().client.schedule.getHandle(id);
    const before = await recentRunIds(handle);
    stack().llm.script({ text: 'HEARTBEAT_OK' });
    const trigger = await api('POST', `/api/schedules/${encodeURIComponent(id)}/trigger`);
    expect(trigger.statusCode).toBe(202);
    expect(trigger.json()).toEqual({ schedule_id: id, triggered: true });
    const run = await newRun(handle, before);
    expect(await stack().client.workflow.getHandle(run.workflowId, run.runId).result()).toMatchObject({
      posted: false,
    });

    expect(
      (
        await api(
          'POST',
          `/api/schedules/${encodeURIComponent(`clasper-heartbeat/${uniqueUser()}/lead`)}/trigger`,
        )
      ).statusCode,
    ).toBe(404);
    const foreign = await api(
      'POST',
      `/api/schedules/${encodeURIComponent('someone-elses-schedule')}/trigger`,
    );
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().error).toContain('schedule_id');

    expect((await api('DELETE', `/api/schedules/heartbeat/${user}/lead`)).statusCode).toBe(204);
    expect((await api('DELETE', `/api/schedules/heartbeat/${user}/lead`)).statusCode).toBe(404);
    expect((await api('DELETE', `/api/schedules/standup/${user}/lead`)).statusCode).toBe(404);
  });
});

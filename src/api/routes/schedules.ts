/**
 * Schedule management (README.md, "Schedules"), behind the daemon key like every route but
 * /health: list our schedules, set or remove an agent's heartbeat and standup, and run any of ours
 * now. Specs set here are marked operator-owned, so a worker restart does not reset them to the env
 * defaults.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply } from 'fastify';
import type { Client } from '@temporalio/client';
import type { Config } from '../../config';
import {
  DISPATCHER_SCHEDULE_ID,
  HEARTBEAT_SCHEDULE_PREFIX,
  STANDUP_SCHEDULE_PREFIX,
  makeHeartbeatScheduleId,
  makeStandupScheduleId,
} from '../../shared/ids';
import { describeSchedule, listSchedules, type ScheduleView } from '../../schedules/describe';
import {
  InvalidScheduleSpecError,
  deleteSchedule,
  ensureHeartbeatSchedule,
  ensureStandupSchedule,
  parseScheduleId,
  triggerSchedule,
  type HeartbeatTiming,
} from '../../schedules/ensure';
import { errorResponses } from '../schemas/common';
import {
  AgentScheduleParamsSchema,
  HeartbeatScheduleBodySchema,
  ScheduleIdParamsSchema,
  ScheduleListSchema,
  ScheduleViewSchema,
  StandupScheduleBodySchema,
  TriggeredSchema,
} from '../schemas/schedules';

export interface ScheduleRoutesOptions {
  config: Config;
  client: Client;
}

const OUR_PREFIXES = [DISPATCHER_SCHEDULE_ID, HEARTBEAT_SCHEDULE_PREFIX, STANDUP_SCHEDULE_PREFIX].join(', ');

export const scheduleRoutes: FastifyPluginAsyncZod<ScheduleRoutesOptions> = async (
  app,
  { config, client },
) => {
  app.get(
    '/api/schedules',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Our schedules (dispatcher, heartbeats, standups) with spec, state, next and recent runs',
        response: { 200: ScheduleListSchema, ...errorResponses },
      },
    },
    async () => ({ schedules: await listSchedules(client) }),
  );

  app.put(
    '/api/schedules/heartbeat/:user_id/:role',
    {
      schema: {
        tags: ['schedules'],
        summary: "Create or replace an agent's heartbeat schedule",
        params: AgentScheduleParamsSchema,
        body: HeartbeatScheduleBodySchema,
        response: { 200: ScheduleViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { user_id: userId, role } = request.params;
      const body = request.body;
      const timing: HeartbeatTiming =
        body.cron !== undefined
          ? { cron: body.cron, timezone: body.timezone }
          : { intervalMinutes: body.interval_minutes as number };
      return applySpec(client, reply, () =>
        ensureHeartbeatSchedule(client, config, { userId, role }, timing, {
          paused: body.paused,
          source: 'api',
        }),
      );
    },
  );

  app.put(
    '/api/schedules/standup/:user_id/:role',
    {
      schema: {
        tags: ['schedules'],
        summary: "Create or replace an agent's standup schedule (cron in a time zone)",
        params: AgentScheduleParamsSchema,
        body: StandupScheduleBodySchema,
        response: { 200: ScheduleViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { user_id: userId, role } = request.params;
      const body = request.body;
      const timing = { cron: body.cron, timezone: body.timezone ?? config.schedules.standupTimezone };
      return applySpec(client, reply, () =>
        ensureStandupSchedule(client, config, { userId, role }, timing, {
          paused: body.paused,
          source: 'api',
        }),
      );
    },
  );

  for (const kind of ['heartbeat', 'standup'] as const) {
    app.delete(
      `/api/schedules/${kind}/:user_id/:role`,
      {
        schema: {
          tags: ['schedules'],
          summary: `Delete an agent's ${kind} schedule (a worker restart recreates it if CLASPER_AGENTS lists the agent)`,
          params: AgentScheduleParamsSchema,
          response: { 204: z.null().describe('Deleted'), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { user_id: userId, role } = request.params;
        const id =
          kind === 'heartbeat' ? makeHeartbeatScheduleId(userId, role) : makeStandupScheduleId(userId, role);
        if (!(await deleteSchedule(client, id)))
          return reply.code(404).send({ error: `no schedule '${id}'` });
        return reply.code(204).send(null);
      },
    );
  }

  app.post(
    '/api/schedules/:schedule_id/trigger',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Run one of our schedules now (the id URL-encoded: clasper-heartbeat%2Fu1%2Flead)',
        params: ScheduleIdParamsSchema,
        response: { 202: TriggeredSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const id = request.params.schedule_id;
      if (!parseScheduleId(id)) {
        return reply
          .code(400)
          .send({ error: `schedule_id must be one of ours (${OUR_PREFIXES}<user_id>/<role>), got '${id}'` });
      }
      if (!(await triggerSchedule(client, id))) return reply.code(404).send({ error: `no schedule '${id}'` });
      return reply.code(202).send({ schedule_id: id, triggered: true as const });
    },
  );
};

/**
 * Runs an ensure and answers with the schedule as it now is. A spec we refuse, or one Temporal
 * refuses (the SDK turns its "Invalid schedule spec" into a TypeError with the reason; our checks
 * are stricter, so that is a zone the server's tz database lacks), is a 400.
 */
async function applySpec(
  client: Client,
  reply: FastifyReply,
  ensure: () => Promise<{ scheduleId: string }>,
): Promise<ScheduleView | FastifyReply> {
  let scheduleId: string;
  try {
    ({ scheduleId } = await ensure());
  } catch (err) {
    if (err instanceof InvalidScheduleSpecError)
      return reply.code(400).send({ error: `invalid request: body.${err.message}` });
    if (err instanceof TypeError)
      return reply.code(400).send({ error: `Temporal rejected the schedule: ${err.message}` });
    throw err;
  }
  const view = await describeSchedule(client, scheduleId);
  if (!view) throw new Error(`schedule '${scheduleId}' is not one of ours`);
  return view;
}

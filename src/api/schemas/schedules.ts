/**
 * HTTP shapes of schedule management under /api/schedules (README.md, "Schedules"). Cron expressions are
 * checked with the same strict five-field grammar the worker uses (src/schedules/cron.ts) and time
 * zones against the IANA database, so a bad value is a 400 naming its field, never a 500.
 */
import { z } from 'zod';
import { ROLE_PATTERN, isValidTimeZone } from '../../config';
import { UserIdSchema } from './common';
import { MAX_CRON_CHARS, cronProblem } from '../../schedules/cron';
import { MAX_HEARTBEAT_INTERVAL_MINUTES } from '../../schedules/ensure';

const CronSchema = z
  .string()
  .max(MAX_CRON_CHARS)
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe(
    "Five-field cron (minute hour day-of-month month day-of-week) or @hourly/@daily/@weekly/@monthly/@yearly, e.g. '0 9 * * MON-FRI'",
  );

const TimezoneSchema = z
  .string()
  .max(100)
  .refine(isValidTimeZone, { error: 'must be an IANA time zone such as UTC or Asia/Tokyo' })
  .describe('IANA time zone the cron is read in');

export const AgentScheduleParamsSchema = z.object({
  user_id: UserIdSchema,
  role: z.string().regex(ROLE_PATTERN, { error: 'must be 1-64 characters of letters, digits, _ or -' }),
});

export const HeartbeatScheduleBodySchema = z
  .object({
    interval_minutes: z
      .number()
      .int({ error: 'must be a whole number of minutes' })
      .min(1, { error: 'must be at least 1' })
      .max(MAX_HEARTBEAT_INTERVAL_MINUTES, {
        error: `must be at most ${MAX_HEARTBEAT_INTERVAL_MINUTES} (a week)`,
      })
      .optional()
      .describe('Run every this many minutes (the default schedule runs every 15)'),
    cron: CronSchema.optional(),
    timezone: TimezoneSchema.optional().describe('For `cron` only; CLASPER_DEFAULT_TIMEZONE when omitted'),
    paused: z.boolean().optional().describe('Omitted: a new schedule runs, an existing one keeps its state'),
  })
  .superRefine((body, ctx) => {
    const given = Number(body.interval_minutes !== undefined) + Number(body.cron !== undefined);
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['interval_minutes'],
        message: 'give exactly one of interval_minutes or cron',
      });
    }
    if (body.timezone !== undefined && body.cron === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'only applies with cron' });
    }
  })
  .describe('HeartbeatSchedule');

export const StandupScheduleBodySchema = z
  .object({
    cron: CronSchema,
    timezone: TimezoneSchema.optional().describe('STANDUP_TIMEZONE when omitted'),
    paused: z.boolean().optional().describe('Omitted: a new schedule runs, an existing one keeps its state'),
  })
  .describe('StandupSchedule');

export const ScheduleIdParamsSchema = z.object({
  schedule_id: z.string().min(1).max(400).describe('URL-encoded, e.g. clasper-heartbeat%2Fu1%2Flead'),
});

export const ScheduleViewSchema = z
  .object({
    schedule_id: z.string(),
    kind: z.enum(['dispatcher', 'heartbeat', 'standup']),
    user_id: z.string().optional(),
    role: z.string().optional(),
    workflow_type: z.string().optional(),
    spec: z.object({
      intervals: z.array(z.object({ every_seconds: z.number(), offset_seconds: z.number() })),
      calendars: z.array(z.string()).describe('Five-field cron, read in `timezone`'),
      timezone: z.string(),
    }),
    paused: z.boolean(),
    note: z.string().optional(),
    next_action_times: z.array(z.string()).describe('UTC instants (ISO 8601)'),
    recent_actions: z.array(
      z.object({ scheduled_at: z.string(), taken_at: z.string(), workflow_id: z.string() }),
    ),
  })
  .describe('Schedule');

export const ScheduleListSchema = z
  .object({ schedules: z.array(ScheduleViewSchema) })
  .describe('ScheduleList');

export const TriggeredSchema = z
  .object({ schedule_id: z.string(), triggered: z.literal(true) })
  .describe('Triggered');

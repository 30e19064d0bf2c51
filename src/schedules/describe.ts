/**
 * Our schedules as the API shows them: kind, agent, a readable spec (the server stores cron
 * strings as structured calendars, so they are rendered back to five-field cron), paused state,
 * next action times (UTC instants) and recent actions with the workflows they started.
 */
import type {
  CalendarSpecDescription,
  Client,
  Range,
  ScheduleDescription,
  ScheduleExecutionResult,
  ScheduleSpecDescription,
  ScheduleSummary,
} from '@temporalio/client';
import { parseScheduleId, type ScheduleKind } from './ensure';

export interface ScheduleView {
  schedule_id: string;
  kind: ScheduleKind;
  user_id?: string;
  role?: string;
  workflow_type?: string;
  spec: {
    intervals: { every_seconds: number; offset_seconds: number }[];
    /** Five-field cron (minute hour day-of-month month day-of-week), in `timezone`. */
    calendars: string[];
    timezone: string;
  };
  paused: boolean;
  note?: string;
  /** ISO 8601 instants (UTC). */
  next_action_times: string[];
  recent_actions: { scheduled_at: string; taken_at: string; workflow_id: string }[];
}

const MONTHS = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
];
const DAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

function renderField(ranges: Range<number>[], min: number, max: number): string {
  if (ranges.length === 0) return '*';
  return ranges
    .map((r) => {
      const end = Math.max(r.end, r.start); // end < start means end = start
      const step = r.step > 1 ? `/${r.step}` : '';
      if (r.start === min && end === max) return `*${step}`;
      if (r.start === end) return `${r.start}${step}`;
      return `${r.start}-${end}${step}`;
    })
    .join(',');
}

function byName<N extends string>(
  ranges: Range<N>[],
  names: readonly string[],
  offset: number,
): Range<number>[] {
  return ranges.map((r) => ({
    start: names.indexOf(r.start) + offset,
    end: names.indexOf(r.end ?? r.start) + offset,
    step: r.step,
  }));
}

/** `{minute: [0], hour: [9], …}` → `0 9 * * *`. Seconds and years are not part of our specs. */
export function calendarToCron(cal: CalendarSpecDescription): string {
  return [
    renderField(cal.minute, 0, 59),
    renderField(cal.hour, 0, 23),
    renderField(cal.dayOfMonth, 1, 31),
    renderField(byName(cal.month, MONTHS, 1), 1, 12),
    renderField(byName(cal.dayOfWeek, DAYS, 0), 0, 6),
  ].join(' ');
}

function specView(spec: ScheduleSpecDescription | undefined): ScheduleView['spec'] {
  return {
    // The SDK leaves `offset` undefined when it is zero, whatever its type says.
    intervals: (spec?.intervals ?? []).map((i) => ({
      every_seconds: i.every / 1000,
      offset_seconds: (i.offset ?? 0) / 1000,
    })),
    calendars: (spec?.calendars ?? []).map(calendarToCron),
    timezone: spec?.timezone || 'UTC',
  };
}

function actionsView(actions: ScheduleExecutionResult[]): ScheduleView['recent_actions'] {
  return actions.map((a) => ({
    scheduled_at: a.scheduledAt.toISOString(),
    taken_at: a.takenAt.toISOString(),
    workflow_id: a.action.workflow.workflowId,
  }));
}

function view(s: ScheduleDescription | ScheduleSummary): ScheduleView | null {
  const parsed = parseScheduleId(s.scheduleId);
  if (!parsed) return null;
  return {
    schedule_id: s.scheduleId,
    kind: parsed.kind,
    ...(parsed.userId ? { user_id: parsed.userId, role: parsed.role } : {}),
    ...(s.action?.workflowType ? { workflow_type: s.action.workflowType } : {}),
    spec: specView(s.spec),
    paused: s.state.paused,
    ...(s.state.note ? { note: s.state.note } : {}),
    next_action_times: s.info.nextActionTimes.map((d) => d.toISOString()),
    recent_actions: actionsView(s.info.recentActions),
  };
}

/** The view of one schedule (accurate: read from the schedule itself); null when it is not ours. */
export async function describeSchedule(client: Client, scheduleId: string): Promise<ScheduleView | null> {
  return view(await client.schedule.getHandle(scheduleId).describe());
}

/**
 * Every schedule of ours, by id. Listing goes through visibility, which is eventually consistent:
 * a schedule created a moment ago may be missing for a second or two.
 */
export async function listSchedules(client: Client): Promise<ScheduleView[]> {
  const out: ScheduleView[] = [];
  for await (const summary of client.schedule.list()) {
    const v = view(summary);
    if (v) out.push(v);
  }
  return out.sort((a, b) => a.schedule_id.localeCompare(b.schedule_id));
}

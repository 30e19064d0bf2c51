import type { CalendarSpecDescription } from '@temporalio/client';
import { calendarToCron } from '../../../src/schedules/describe';
import { parseScheduleId } from '../../../src/schedules/ensure';

const any = {
  second: [{ start: 0, end: 0, step: 1 }],
  minute: [{ start: 0, end: 59, step: 1 }],
  hour: [{ start: 0, end: 23, step: 1 }],
  dayOfMonth: [{ start: 1, end: 31, step: 1 }],
  month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }],
  year: [],
  dayOfWeek: [{ start: 'SUNDAY', end: 'SATURDAY', step: 1 }],
} as CalendarSpecDescription;

describe('calendarToCron', () => {
  it('renders what the server stores back to five fields', () => {
    expect(
      calendarToCron({
        ...any,
        minute: [{ start: 0, end: 0, step: 1 }],
        hour: [{ start: 9, end: 9, step: 1 }],
      }),
    ).toBe('0 9 * * *');
    expect(calendarToCron({ ...any, minute: [{ start: 0, end: 59, step: 15 }] })).toBe('*/15 * * * *');
    expect(calendarToCron({ ...any, minute: [{ start: 5, end: 59, step: 15 }] })).toBe('5-59/15 * * * *');
    expect(
      calendarToCron({
        ...any,
        minute: [{ start: 30, end: 30, step: 0 }],
        hour: [{ start: 8, end: 18, step: 1 }],
        dayOfMonth: [
          { start: 1, end: 1, step: 1 },
          { start: 15, end: 15, step: 1 },
        ],
        month: [{ start: 'MARCH', end: 'MARCH', step: 1 }],
        dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }],
      }),
    ).toBe('30 8-18 1,15 3 1-5');
  });
});

describe('parseScheduleId', () => {
  it.each([
    ['clasper-dispatcher', { kind: 'dispatcher' }],
    ['clasper-dispatcher/test-1', { kind: 'dispatcher' }],
    ['clasper-heartbeat/u1/lead', { kind: 'heartbeat', userId: 'u1', role: 'lead' }],
    ['clasper-standup/u@x.io/writer', { kind: 'standup', userId: 'u@x.io', role: 'writer' }],
    ['clasper-heartbeat/u1', null],
    ['clasper-heartbeat/u1/lead/extra', null],
    ['clasper-dispatcherX', null],
    ['other-schedule', null],
  ])('%s → %j', (id, expected) => {
    expect(parseScheduleId(id)).toEqual(expected);
  });
});

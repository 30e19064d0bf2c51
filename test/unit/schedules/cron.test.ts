import { cronProblem, isValidCron } from '../../../src/schedules/cron';
import { loadConfig } from '../../../src/config';

describe('cronProblem', () => {
  it.each([
    '0 9 * * *',
    '*/15 * * * *',
    '5/15 * * * *',
    '0 9 * * MON-FRI',
    '0 9 * * mon',
    '0 9 * * 0-7',
    '0 9 * * 7',
    '0 9 1,15 * *',
    '0 9 * JAN-MAR *',
    '0 0-23/2 * * *',
    '  30   8 * * 1-5 ',
    '@daily',
    '@HOURLY',
    '@weekly',
    '@monthly',
    '@yearly',
  ])('accepts %j', (expr) => {
    expect(cronProblem(expr)).toBeNull();
  });

  it.each([
    ['', /empty/],
    ['0 9 * *', /5 fields.*got 4/],
    ['0 9 * * * *', /5 fields.*got 6/],
    ['0 25 * * *', /field 2 \(hour\) '25' is not a number from 0 to 23/],
    ['60 * * * *', /field 1 \(minute\)/],
    ['0 9 0 * *', /field 3 \(day of month\)/],
    ['0 9 * 13 *', /field 4 \(month\)/],
    ['0 9 * * 8', /field 5 \(day of week\)/],
    ['0 9 ? * *', /field 3/],
    ['0 9 L * *', /field 3/],
    ['0 9 * * 1#2', /field 5/],
    ['0 9 5-1 * *', /ends before it starts/],
    ['*/0 * * * *', /step/],
    ['0 9 1,,2 * *', /empty list item/],
    ['0 9 1-2-3 * *', /not a value or a range/],
    ['@fortnightly', /unknown shorthand/],
    ['@every 10s', /unknown shorthand/],
    ['x'.repeat(201), /at most 200/],
  ])('rejects %j', (expr, message) => {
    expect(cronProblem(expr)).toMatch(message);
    expect(isValidCron(expr)).toBe(false);
  });
});

describe('STANDUP_CRON', () => {
  it('is checked at start, one line naming the variable', () => {
    expect(() => loadConfig({ STANDUP_CRON: '0 25 * * *' })).toThrow(
      /^STANDUP_CRON must be a cron expression: field 2 \(hour\)/,
    );
    expect(loadConfig({ STANDUP_CRON: '30 8 * * MON-FRI' }).schedules.standupCron).toBe('30 8 * * MON-FRI');
  });
});

/**
 * A strict check of the cron expressions we hand to Temporal Schedules: five fields (minute hour
 * day-of-month month day-of-week) or one of the shorthands. Written here rather than pulled in
 * from a cron library because the grammar is small and what matters is agreeing with Temporal's
 * own parser: everything accepted here is accepted by the server (test/unit/schedules/cron.test.ts
 * pins the grammar; test/integration/schedules/ensure.test.ts sends real expressions to the dev server).
 */

export const CRON_SHORTHANDS = ['@yearly', '@monthly', '@weekly', '@daily', '@hourly'] as const;

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  // 7 is Sunday too, as in most crons and in Temporal's parser.
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES },
];

/** Longest expression accepted; a real one is a few dozen characters. */
export const MAX_CRON_CHARS = 200;

/** Null when `expr` is a valid five-field cron or shorthand; else one sentence saying what is wrong. */
export function cronProblem(expr: string): string | null {
  const text = expr.trim();
  if (text === '') return 'must not be empty';
  if (text.length > MAX_CRON_CHARS) return `must be at most ${MAX_CRON_CHARS} characters`;
  if (text.startsWith('@')) {
    return (CRON_SHORTHANDS as readonly string[]).includes(text.toLowerCase())
      ? null
      : `unknown shorthand '${text}': use one of ${CRON_SHORTHANDS.join(', ')} or five fields`;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5) {
    return `must have 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}: '${text}'`;
  }
  for (let i = 0; i < FIELDS.length; i++) {
    const problem = fieldProblem(parts[i] as string, FIELDS[i] as Field);
    if (problem) return `field ${i + 1} (${(FIELDS[i] as Field).name}) ${problem}`;
  }
  return null;
}

export function isValidCron(expr: string): boolean {
  return cronProblem(expr) === null;
}

function fieldProblem(field: string, spec: Field): string | null {
  for (const item of field.split(',')) {
    if (item === '') return `'${field}' has an empty list item`;
    const [base, step, ...extra] = item.split('/');
    if (extra.length > 0 || base === undefined || base === '')
      return `'${item}' is not a value, range or */step`;
    if (step !== undefined && !/^[1-9]\d{0,2}$/.test(step))
      return `'${item}' has a step that is not a positive whole number`;
    if (base === '*') continue;
    const [from, to, ...more] = base.split('-');
    if (more.length > 0) return `'${item}' is not a value or a range`;
    const start = valueOf(from as string, spec);
    if (start === null) return `'${from}' is not a ${describe(spec)}`;
    if (to === undefined) {
      // `5/15` (from 5, every 15) is cron shorthand for `5-max/15`.
      continue;
    }
    const end = valueOf(to, spec);
    if (end === null) return `'${to}' is not a ${describe(spec)}`;
    if (end < start) return `range '${base}' ends before it starts`;
  }
  return null;
}

function valueOf(token: string, spec: Field): number | null {
  if (/^\d{1,2}$/.test(token)) {
    const n = Number(token);
    return n >= spec.min && n <= spec.max ? n : null;
  }
  const i = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (i < 0) return null;
  return spec.names === MONTH_NAMES ? i + 1 : i;
}

function describe(spec: Field): string {
  const names = spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : '';
  return `number from ${spec.min} to ${spec.max}${names}`;
}

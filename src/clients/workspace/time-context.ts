/**
 * Timezone handling for the prompt: which zone applies, the `## Current Time` block, and calendar
 * dates in that zone (memory files are named by the agent's local date, not the server's).
 */
import { InvalidTimezoneError } from './errors';

/**
 * Building an Intl.DateTimeFormat costs far more than formatting with one (ICU loads the zone and
 * the pattern), and every turn's prompt built three besides the zone check. Formatters are pure,
 * so one per zone and style is kept. Callers pass the canonical zone from resolveTimezone, so the
 * map holds at most a few per IANA zone; the cap only guards against a caller that does not.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATTERS = 2_000;
function formatter(style: keyof typeof STYLES, timeZone: string): Intl.DateTimeFormat {
  const key = `${style} ${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, ...STYLES[style] });
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    formatters.set(key, f);
  }
  return f;
}
const STYLES = {
  ymd: { year: 'numeric', month: '2-digit', day: '2-digit' },
  date: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' },
  time: { hour: 'numeric', minute: '2-digit', hour12: true },
} satisfies Record<string, Intl.DateTimeFormatOptions>;

/**
 * The zone for a turn: the request's `metadata.timezone`, else the configured default, else UTC.
 * Returns the canonical IANA spelling; an unknown zone is an InvalidTimezoneError (a 400), never
 * the RangeError Intl would throw.
 */
export function resolveTimezone(requested: string | undefined, fallback: string | undefined): string {
  const tz = requested?.trim() || fallback?.trim() || 'UTC';
  try {
    // Not cached: the request's spelling is arbitrary (Intl accepts any letter case), the answer canonical.
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw new InvalidTimezoneError(tz);
  }
}

/** `YYYY-MM-DD` of `now` on the wall calendar of `timeZone`. */
export function calendarDate(now: Date, timeZone: string): string {
  const parts = formatter('ymd', timeZone).formatToParts(now);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The calendar day before `date` (`YYYY-MM-DD`); plain date arithmetic, so DST cannot skew it. */
export function previousDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) - 1)).toISOString().slice(0, 10);
}

/**
 * `## Current Time` with Date ("Monday, November 23, 2026"), Time ("7:41 PM") and the IANA zone.
 * Newer ICU puts a narrow no-break space before AM/PM; it is normalised to a plain space so the
 * text is the same on every Node build.
 */
export function timeBlock(now: Date, timeZone: string): string {
  const date = formatter('date', timeZone).format(now);
  const time = formatter('time', timeZone)
    .format(now)
    .replace(/[\u202f\u00a0]/g, ' ');
  return `## Current Time\n\n- Date: ${date}\n- Time: ${time}\n- Timezone: ${timeZone}`;
}

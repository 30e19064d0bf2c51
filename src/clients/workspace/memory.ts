/**
 * The `## Memory` block: MEMORY.md (long-term), then yesterday's and today's daily logs
 * `memory/YYYY-MM-DD.md`, with dates taken in the turn's timezone (the original used the server's
 * clock, so an agent in Los Angeles saw "tomorrow" every evening on a UTC server).
 */
import { calendarDate, previousDate } from './time-context';

export interface MemoryDates {
  today: string;
  yesterday: string;
}

export function memoryDates(now: Date, timeZone: string): MemoryDates {
  const today = calendarDate(now, timeZone);
  return { today, yesterday: previousDate(today) };
}

export function dailyMemoryFile(date: string): string {
  return `memory/${date}.md`;
}

/**
 * Builds the block from whichever files exist; null when none do. `take` reads a file, applies the
 * per-file limit, records it as used, and returns its trimmed text (null when absent or blank).
 */
export async function memoryBlock(
  take: (file: string) => Promise<string | null>,
  dates: MemoryDates,
): Promise<string | null> {
  const sections: string[] = [];
  const longTerm = await take('MEMORY.md');
  if (longTerm) sections.push(`### Long-term Memory\n\n${longTerm}`);
  const yesterday = await take(dailyMemoryFile(dates.yesterday));
  if (yesterday) sections.push(`### Yesterday (${dates.yesterday})\n\n${yesterday}`);
  const today = await take(dailyMemoryFile(dates.today));
  if (today) sections.push(`### Today (${dates.today})\n\n${today}`);
  return sections.length > 0 ? `## Memory\n\n${sections.join('\n\n')}` : null;
}

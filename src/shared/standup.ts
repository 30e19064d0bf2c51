/**
 * The standup's pure decisions (docs/architecture.md, "Standup"): which heading a task belongs
 * under, the prompt the model writes from, the document's shape and its local-date title.
 * Workflow-safe: no Node imports; `Intl` is part of the JS engine and deterministic for a given
 * date and zone.
 */

export interface StandupTask {
  id: string;
  title: string;
  status: string;
  description?: string;
}

export interface StandupInput {
  userId: string;
  role: string;
  /** IANA zone: the standup's date and the backend's standup call use it. */
  timezone: string;
}

export interface StandupResult {
  date: string;
  title: string;
  task_id: string;
  document_id: string;
  /** Tasks the summary was written from (the standup task itself excluded). */
  tasks: number;
  backend_standup: 'called' | 'unsupported';
  model: string;
}

/** The task the standup documents are posted on (found or created by title). */
export const STANDUP_TASK_TITLE = 'Daily Standup';
export const STANDUP_HEADINGS = ['Done', 'Doing', 'Blocked'] as const;
export type StandupBucket = 'done' | 'doing' | 'blocked';

/** Tasks listed in the prompt; a user with more gets a note that the list was cut. */
export const MAX_STANDUP_TASKS = 200;
const MAX_DESCRIPTION_CHARS = 200;

const DONE = new Set([
  'done',
  'completed',
  'complete',
  'closed',
  'resolved',
  'finished',
  'shipped',
  'cancelled',
  'canceled',
]);
const BLOCKED = new Set(['blocked', 'on_hold', 'waiting', 'stuck', 'needs_input']);

/** Backends name statuses freely; anything not clearly done or blocked is work in progress. */
export function standupBucket(status: string | undefined): StandupBucket {
  const s = (status ?? '')
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (DONE.has(s)) return 'done';
  if (BLOCKED.has(s)) return 'blocked';
  return 'doing';
}

/** `YYYY-MM-DD` of `at` on the wall clock of `timezone`. */
export function localDate(at: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

export function standupTitle(date: string): string {
  return `Standup ${date}`;
}

function taskLine(t: StandupTask): string {
  const description = t.description?.replace(/\s+/g, ' ').trim();
  const short =
    description && description.length > MAX_DESCRIPTION_CHARS
      ? `${description.slice(0, MAX_DESCRIPTION_CHARS - 3)}...`
      : description;
  return `- ${t.title} (status: ${t.status || 'unknown'})${short ? ` — ${short}` : ''}`;
}

/** The user turn for the model: the rules, then the tasks already sorted under the three headings. */
export function standupPrompt(args: {
  date: string;
  timezone: string;
  tasks: StandupTask[];
  total: number;
}): string {
  const groups: Record<StandupBucket, StandupTask[]> = { done: [], doing: [], blocked: [] };
  for (const t of args.tasks.slice(0, MAX_STANDUP_TASKS)) groups[standupBucket(t.status)].push(t);
  const section = (heading: string, items: StandupTask[]) =>
    `${heading}:\n${items.length > 0 ? items.map(taskLine).join('\n') : '- (none)'}`;
  const cut =
    args.total > MAX_STANDUP_TASKS
      ? `\n\n(Only the first ${MAX_STANDUP_TASKS} of ${args.total} tasks are listed.)`
      : '';
  return [
    `Write the daily standup for ${args.date} (${args.timezone}) from the tasks below.`,
    'Answer in Markdown with exactly these three level-2 headings, in this order: `## Done`, `## Doing`, `## Blocked`.',
    'Under each heading, one short bullet per task (its title and a few words on where it stands); write "- Nothing" under a heading with no tasks. No other headings, no preamble.',
    '',
    'Tasks by status:',
    section('Done', groups.done),
    '',
    section('Doing', groups.doing),
    '',
    section('Blocked', groups.blocked) + cut,
  ].join('\n');
}

/** The document always has the three headings: any the model left out is added, empty. */
export function ensureStandupHeadings(markdown: string): string {
  let text = markdown.trim();
  for (const heading of STANDUP_HEADINGS) {
    const present = new RegExp(`^#{1,6}\\s*${heading}\\s*:?\\s*$`, 'im').test(text);
    if (!present) text = `${text}${text ? '\n\n' : ''}## ${heading}\n- Nothing`;
  }
  return text;
}

/** The standup's own thread is not a task to report on. */
export function tasksToReport(tasks: StandupTask[]): StandupTask[] {
  return tasks.filter((t) => t.title !== STANDUP_TASK_TITLE);
}

/**
 * GET /usage from Temporal visibility: the completed and failed AgentTurns of a window, summed per
 * user from the usage search attributes each turn upserts when it finishes (src/shared/usage.ts). Every
 * API replica gives the same answer and nothing resets on restart, unlike the original's
 * process-lifetime counter.
 *
 * Visibility is eventually consistent: a turn that completed a moment ago may be missing from the
 * sums for a second or so (longer on a busy cluster with Elasticsearch). A failed turn counts the
 * tokens of the model calls it made; one that failed before that was recorded (a run begun before
 * the turn-failed-usage patch) counts in `turnsWithoutUsage`. Cancelled and timed-out turns are not
 * counted.
 */
import type { Client } from '@temporalio/client';
import { ClasperUserId } from '../shared/search-attributes';
import { sumByUser, turnUsageFrom, type TurnUsage, type UsageTotals } from '../shared/usage';

/** The window when the caller gives no `since`: the last day, as an operator would first ask. */
export const DEFAULT_USAGE_WINDOW_MS = 24 * 60 * 60 * 1000;
/**
 * One request reads at most this many turns (ten visibility pages), so a year-long window cannot
 * tie up the API; beyond it the answer says `truncated` and the caller narrows the window.
 */
export const MAX_TURNS_PER_USAGE_QUERY = 10_000;
const PAGE_SIZE = 1000;

const DURATION = /^(\d{1,7})(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** `24h`, `30m`, `7d`, `2w` back from `now`, or an ISO date/time not in the future; null otherwise. */
export function parseSince(value: string, now: Date): Date | null {
  const duration = DURATION.exec(value);
  if (duration) {
    const ms = Number(duration[1]) * (UNIT_MS[duration[2] as string] as number);
    return new Date(now.getTime() - ms);
  }
  if (!ISO_DATE.test(value)) return null;
  // Date-only and zone-less times are read as UTC, so the answer does not depend on the server's zone.
  const normalised = /(?:Z|[+-]\d{2}:\d{2})$/.test(value) || value.length === 10 ? value : `${value}Z`;
  const at = new Date(normalised.replace(' ', 'T'));
  if (Number.isNaN(at.getTime()) || at.getTime() > now.getTime()) return null;
  return at;
}

export interface UsageQuery {
  userId?: string;
  since: Date;
}

export interface UsageResult {
  since: Date;
  until: Date;
  users: Map<string, UsageTotals>;
  total: UsageTotals;
  truncated: boolean;
}

/** The visibility query for completed and failed turns closed after `since`; ids are pattern-checked, so quoting is safe. */
export function usageVisibilityQuery({ userId, since }: UsageQuery): string {
  const clauses = [
    "WorkflowType = 'agentTurn'",
    "(ExecutionStatus = 'Completed' OR ExecutionStatus = 'Failed')",
    `CloseTime > '${since.toISOString()}'`,
  ];
  if (userId !== undefined) clauses.push(`${ClasperUserId.name} = '${userId.replace(/'/g, '')}'`);
  return clauses.join(' AND ');
}

export async function queryUsage(client: Client, query: UsageQuery, now = new Date()): Promise<UsageResult> {
  const turns: TurnUsage[] = [];
  let truncated = false;
  for await (const execution of client.workflow.list({
    query: usageVisibilityQuery(query),
    pageSize: PAGE_SIZE,
  })) {
    if (turns.length >= MAX_TURNS_PER_USAGE_QUERY) {
      truncated = true;
      break;
    }
    turns.push(turnUsageFrom(execution.typedSearchAttributes, execution.status.name === 'FAILED'));
  }
  const { users, total } = sumByUser(turns);
  return { since: query.since, until: now, users, total, truncated };
}

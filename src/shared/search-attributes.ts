/**
 * Our custom search attributes: every turn is filterable in the Temporal UI by user, session,
 * role, task and what triggered it (Keyword, exact match), and carries its token usage (Int) and
 * cost (Double) so `GET /usage` can sum them from visibility. Registered on the dev server by
 * `make dev` / the test harness and on a cluster by `npm run temporal:setup`, both from the list below.
 *
 * SQL visibility (the dev server's SQLite, PostgreSQL, MySQL) allows only 3 custom attributes per
 * numeric type and 10 Keywords per namespace: we use 2 Int, 1 Double, 1 Bool, 5 Keyword. Total tokens are
 * prompt + completion (as OpenAI defines them), so they need no attribute of their own.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

export const ClasperUserId = defineSearchAttributeKey('ClasperUserId', SearchAttributeType.KEYWORD);
export const ClasperSessionKey = defineSearchAttributeKey('ClasperSessionKey', SearchAttributeType.KEYWORD);
export const ClasperAgentRole = defineSearchAttributeKey('ClasperAgentRole', SearchAttributeType.KEYWORD);
export const ClasperTaskId = defineSearchAttributeKey('ClasperTaskId', SearchAttributeType.KEYWORD);
export const ClasperTrigger = defineSearchAttributeKey('ClasperTrigger', SearchAttributeType.KEYWORD);

// Usage of a finished turn, upserted at its end (usage.ts). Cost in USD, rounded to the
// micro-dollar; -1 when a model that answered has no known price.
export const ClasperPromptTokens = defineSearchAttributeKey('ClasperPromptTokens', SearchAttributeType.INT);
export const ClasperCompletionTokens = defineSearchAttributeKey(
  'ClasperCompletionTokens',
  SearchAttributeType.INT,
);
export const ClasperCostUsd = defineSearchAttributeKey('ClasperCostUsd', SearchAttributeType.DOUBLE);

/** True while a turn waits for a person to approve a tool call: the inbox is a visibility query. */
export const ClasperAwaitingApproval = defineSearchAttributeKey(
  'ClasperAwaitingApproval',
  SearchAttributeType.BOOL,
);

export const CLASPER_SEARCH_ATTRIBUTES = [
  ClasperUserId,
  ClasperSessionKey,
  ClasperAgentRole,
  ClasperTaskId,
  ClasperTrigger,
  ClasperPromptTokens,
  ClasperCompletionTokens,
  ClasperCostUsd,
  ClasperAwaitingApproval,
] as const;

/** The type names `temporal server start-dev --search-attribute Name=Type` accepts. */
const CLI_TYPE_NAMES: Partial<Record<SearchAttributeType, string>> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
};

/** `--search-attribute Name=Type` arguments for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return CLASPER_SEARCH_ATTRIBUTES.flatMap((key) => {
    const type = CLI_TYPE_NAMES[key.type];
    if (!type) throw new Error(`no dev-server type name for search attribute ${key.name} (${key.type})`);
    return ['--search-attribute', `${key.name}=${type}`];
  });
}

/** The attributes every turn-like workflow starts with (ClasperTaskId is upserted once resolved). */
export function turnSearchAttributes(turn: {
  userId: string;
  sessionKey: string;
  role: string;
  trigger: string;
}): SearchAttributePair[] {
  return [
    { key: ClasperUserId, value: turn.userId },
    { key: ClasperSessionKey, value: turn.sessionKey },
    { key: ClasperAgentRole, value: turn.role },
    { key: ClasperTrigger, value: turn.trigger },
  ];
}

/**
 * Our custom search attributes: every turn is filterable in the Temporal UI by user, session,
 * role, task and what triggered it. All Keyword (exact match), registered on the dev server by
 * `make dev` / the test harness and on a cluster by `npm run temporal:setup`.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ClasperUserId = defineSearchAttributeKey('ClasperUserId', SearchAttributeType.KEYWORD);
export const ClasperSessionKey = defineSearchAttributeKey('ClasperSessionKey', SearchAttributeType.KEYWORD);
export const ClasperAgentRole = defineSearchAttributeKey('ClasperAgentRole', SearchAttributeType.KEYWORD);
export const ClasperTaskId = defineSearchAttributeKey('ClasperTaskId', SearchAttributeType.KEYWORD);
export const ClasperTrigger = defineSearchAttributeKey('ClasperTrigger', SearchAttributeType.KEYWORD);

export const CLASPER_SEARCH_ATTRIBUTES = [
  ClasperUserId,
  ClasperSessionKey,
  ClasperAgentRole,
  ClasperTaskId,
  ClasperTrigger,
] as const;

/** `--search-attribute Name=Keyword` arguments for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return CLASPER_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}

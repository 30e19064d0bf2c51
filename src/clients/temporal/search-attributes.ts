/**
 * Are our search attributes registered in the namespace, with the right types? A turn upserts
 * them at its end; on a namespace without them every such workflow task fails with
 * BadSearchAttributes and retries forever, so the worker refuses to start, and `/health?deep=true`
 * and `clasper doctor` say so. `npm run temporal:setup` registers what is missing.
 */
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CLASPER_SEARCH_ATTRIBUTES } from '../../shared/search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;
type IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/** The operator service's type for each kind of search attribute we define. */
const INDEXED_TYPES: Partial<Record<SearchAttributeType, IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

export type ClasperSearchAttribute = (typeof CLASPER_SEARCH_ATTRIBUTES)[number];

export function indexedTypeOf(key: ClasperSearchAttribute): IndexedValueType {
  const type = INDEXED_TYPES[key.type];
  if (type === undefined)
    throw new Error(`no indexed value type for search attribute ${key.name} (${key.type})`);
  return type;
}

export interface SearchAttributeReport {
  missing: ClasperSearchAttribute[];
  /** Registered under our name with another type: `ClasperCostUsd is Keyword, not Double`. */
  wrongType: string[];
}

/** The operator service of a client's connection (a plain `Connection`, as every process has). */
export function operatorConnection(connection: unknown): Connection | undefined {
  return typeof connection === 'object' && connection !== null && 'operatorService' in connection
    ? (connection as Connection)
    : undefined;
}

export async function checkSearchAttributes(
  connection: Connection,
  namespace: string,
  timeoutMs = 5_000,
): Promise<SearchAttributeReport> {
  const existing = await connection.withDeadline(Date.now() + timeoutMs, () =>
    connection.operatorService.listSearchAttributes({ namespace }),
  );
  const have = existing.customAttributes ?? {};
  const missing = CLASPER_SEARCH_ATTRIBUTES.filter((k) => have[k.name] === undefined);
  const wrongType = CLASPER_SEARCH_ATTRIBUTES.filter(
    (k) => have[k.name] !== undefined && have[k.name] !== indexedTypeOf(k),
  ).map((k) => `${k.name} is ${IndexedValueType[have[k.name] as IndexedValueType]}, not ${k.type}`);
  return { missing, wrongType };
}

/** The one line an operator reads, or undefined when all is well. */
export function searchAttributeProblem(report: SearchAttributeReport, namespace: string): string | undefined {
  const { missing, wrongType } = report;
  if (missing.length === 1)
    return `search attribute ${missing[0]?.name} is not registered in namespace '${namespace}'; run npm run temporal:setup`;
  if (missing.length > 1)
    return `search attributes ${missing.map((k) => k.name).join(', ')} are not registered in namespace '${namespace}'; run npm run temporal:setup`;
  if (wrongType.length > 0)
    return `search attributes with the wrong type in namespace '${namespace}': ${wrongType.join('; ')} (remove and re-add them, then run npm run temporal:setup)`;
  return undefined;
}

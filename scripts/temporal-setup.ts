/**
 * `npm run temporal:setup`: registers our search attributes on an existing cluster through the
 * operator service. Idempotent: it adds only what is missing and says what it did. (The dev server
 * started by `make dev` and the tests gets them on its command line instead.)
 */
import { temporal } from '@temporalio/proto';
import { loadConfigOrExit } from '../src/config';
import { connectTemporalClient } from '../src/clients/temporal/connection';
import { SearchAttributeType } from '@temporalio/common';
import { CLASPER_SEARCH_ATTRIBUTES } from '../src/shared/search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;
/** The operator service's type for each kind of search attribute we define. */
const INDEXED_TYPES: Partial<Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

function indexedTypeOf(
  key: (typeof CLASPER_SEARCH_ATTRIBUTES)[number],
): temporal.api.enums.v1.IndexedValueType {
  const type = INDEXED_TYPES[key.type];
  if (type === undefined)
    throw new Error(`no indexed value type for search attribute ${key.name} (${key.type})`);
  return type;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const { address, namespace } = config.temporal;
  const { connection, close } = await connectTemporalClient(config);
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const have = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = CLASPER_SEARCH_ATTRIBUTES.filter((k) => !have.has(k.name));
    if (missing.length === 0) {
      process.stdout.write(
        `all ${CLASPER_SEARCH_ATTRIBUTES.length} Clasper search attributes already exist in namespace '${namespace}' on ${address}\n`,
      );
      return;
    }
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, indexedTypeOf(k)])),
    });
    const added = missing.map((k) => `${k.name} (${k.type.toLowerCase()})`).join(', ');
    process.stdout.write(`added ${added} to namespace '${namespace}' on ${address}\n`);
  } finally {
    await close();
  }
}

main().catch((err) => {
  process.stderr.write(`temporal:setup failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * `npm run temporal:setup`: registers our search attributes on an existing cluster through the
 * operator service. Idempotent: it adds only what is missing and says what it did. (The dev server
 * started by `make dev` and the tests gets them on its command line instead.)
 */
import { loadConfigOrExit } from '../src/config';
import { connectTemporalClient } from '../src/clients/temporal/connection';
import { checkSearchAttributes, indexedTypeOf } from '../src/clients/temporal/search-attributes';
import { CLASPER_SEARCH_ATTRIBUTES } from '../src/shared/search-attributes';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const { address, namespace } = config.temporal;
  const { connection, close } = await connectTemporalClient(config);
  try {
    const { missing } = await checkSearchAttributes(connection, namespace);
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

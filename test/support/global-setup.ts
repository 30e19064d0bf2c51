/**
 * Runs once per jest run: starts ONE real Temporal dev server (our search attributes registered)
 * and bundles the workflow code once. Test files find both through the env vars set here, which
 * jest's worker processes inherit.
 *
 * With CLASPER_TEST_TEMPORAL_ADDRESS already set (`make test-cluster` sets it to the cluster of
 * `make cluster`), no dev server starts: the run uses that server, which must have the `default`
 * namespace and our search attributes (`npm run temporal:setup`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { REPO_ROOT, startDevServer } from '../../scripts/lib/temporal-dev-server';
import { CLASPER_SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';
import { WORKFLOWS_PATH, bundleClasperWorkflows } from '../../src/worker/workflow-bundle';
import { RUN_DIR_ENV } from './workflow-id-guard';

/** The run's Temporal server, for the teardown. */
export interface TestTemporal {
  address: string;
  /** When the run began: on a server that outlives the run, the secret scan reads only its workflows. */
  since?: Date;
  stop(): Promise<void>;
}

declare global {
  var __CLASPER_TEMPORAL__: TestTemporal | undefined;
}

export default async function globalSetup(): Promise<void> {
  // Per run: which stack started which workflow id (workflow-id-guard.ts).
  process.env[RUN_DIR_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-test-run-'));
  const preset = process.env.CLASPER_TEST_TEMPORAL_ADDRESS;
  if (preset) {
    await checkExistingServer(preset);
    globalThis.__CLASPER_TEMPORAL__ = { address: preset, since: new Date(), stop: async () => undefined };
  } else {
    const server = await startDevServer();
    globalThis.__CLASPER_TEMPORAL__ = server;
    process.env.CLASPER_TEST_TEMPORAL_ADDRESS = server.address;
  }

  if (fs.existsSync(WORKFLOWS_PATH)) {
    const outDir = path.join(REPO_ROOT, '.data/test');
    fs.mkdirSync(outDir, { recursive: true });
    const code = await bundleClasperWorkflows({ logger: quietLogger });
    const bundlePath = path.join(outDir, 'workflow-bundle.js');
    fs.writeFileSync(bundlePath, code);
    process.env.CLASPER_TEST_WORKFLOW_BUNDLE = bundlePath;
  }
}

/** Fails the run at once, in one line, when the preset server cannot serve the tests. */
async function checkExistingServer(address: string): Promise<void> {
  const where = `CLASPER_TEST_TEMPORAL_ADDRESS=${address}`;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5000 });
  } catch (err) {
    throw new Error(
      `${where}: no Temporal server answers there (${String(err)}); start it (make cluster) or unset the variable`,
    );
  }
  try {
    const res = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    const have = new Set(Object.keys(res.customAttributes ?? {}));
    const missing = CLASPER_SEARCH_ATTRIBUTES.filter((k) => !have.has(k.name)).map((k) => k.name);
    if (missing.length > 0)
      throw new Error(
        `${where}: namespace 'default' lacks the search attributes ${missing.join(', ')}; run TEMPORAL_ADDRESS=${address} npm run temporal:setup`,
      );
  } finally {
    await connection.close();
  }
}

const noop = () => undefined;
const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: console.warn,
  error: console.error,
  log: noop,
};

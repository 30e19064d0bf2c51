/**
 * Runs once per jest run: starts ONE real Temporal dev server (our search attributes registered)
 * and bundles the workflow code once. Test files find both through the env vars set here, which
 * jest's worker processes inherit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { REPO_ROOT, startDevServer, type DevServer } from '../../scripts/lib/temporal-dev-server';

declare global {
  var __CLASPER_TEMPORAL__: DevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  const server = await startDevServer();
  globalThis.__CLASPER_TEMPORAL__ = server;
  process.env.CLASPER_TEST_TEMPORAL_ADDRESS = server.address;

  const workflowsPath = path.join(REPO_ROOT, 'src/workflows/index.ts');
  if (fs.existsSync(workflowsPath)) {
    const outDir = path.join(REPO_ROOT, '.data/test');
    fs.mkdirSync(outDir, { recursive: true });
    const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
    const bundlePath = path.join(outDir, 'workflow-bundle.js');
    fs.writeFileSync(bundlePath, code);
    process.env.CLASPER_TEST_WORKFLOW_BUNDLE = bundlePath;
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

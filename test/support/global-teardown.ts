import fs from 'node:fs';
import { describeFindings } from '../reliability/lib/secrets';
import { scanServerHistories } from './history-scan';
import { RUN_DIR_ENV } from './workflow-id-guard';

export default async function globalTeardown(): Promise<void> {
  const server = globalThis.__CLASPER_TEMPORAL__;
  try {
    if (!server) return;
    // "No secret in any workflow history of a full test run": checked here, over all of them.
    const { scanned, findings } = await scanServerHistories(server.address, undefined, server.since);
    if (findings.length > 0) {
      throw new Error(
        `secrets found in ${findings.length} place(s) of the ${scanned} workflow histories of this run:\n${describeFindings(findings)}`,
      );
    }
  } finally {
    await server?.stop();
    const runDir = process.env[RUN_DIR_ENV];
    if (runDir) fs.rmSync(runDir, { recursive: true, force: true });
  }
}

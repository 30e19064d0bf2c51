/**
 * Prebuilds the workflow bundle into dist/workflow-bundle.js, so production workers start without
 * webpack and every worker runs byte-identical workflow code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleClasperWorkflows } from '../src/worker/workflow-bundle';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const code = await bundleClasperWorkflows();
  const out = path.join(root, 'dist/workflow-bundle.js');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, code);
  process.stdout.write(`wrote ${path.relative(root, out)} (${(code.length / 1024).toFixed(0)} KiB)\n`);
}

main().catch((err) => {
  process.stderr.write(`bundling workflows failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * A second fuzzer beside test/fuzz (fast-check): schemathesis, driven by our own OpenAPI document
 * at /docs/json, against the whole system on a Temporal dev server of its own (the worker as its
 * own process, the reference backend, a fake model). Not part of `make test`: it installs a Python
 * tool (pinned, into .tools/venv) and runs for a few minutes.
 *
 *   node node_modules/tsx/dist/cli.mjs scripts/schemathesis.ts [-- extra schemathesis args]
 *
 * Exits non-zero when schemathesis reports a failure; its reports land in .data/schemathesis/.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type AddressInfo } from 'node:net';
import { bundleClasperWorkflows } from '../src/worker/workflow-bundle';
import { REPO_ROOT } from './lib/temporal-dev-server';
import { startScenarioStack } from '../test/reliability/lib/scenario-stack';

const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
];

async function main(): Promise<void> {
  const st = execFileSync('bash', [path.join(REPO_ROOT, 'scripts/ensure-schemathesis.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const outDir = path.join(REPO_ROOT, '.data/schemathesis');
  fs.mkdirSync(outDir, { recursive: true });
  const bundlePath = path.join(outDir, 'workflow-bundle.js');
  const noop = () => undefined;
  const code = await bundleClasperWorkflows({
    logger: { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop },
  });
  fs.writeFileSync(bundlePath, code);

  const stack = await startScenarioStack({ bundlePath });
  try {
    stack.llm.respond((req) =>
      req.body?.response_format || /JSON/.test(JSON.stringify(req.body?.messages ?? []))
        ? { text: '{"ok": true}' }
        : { text: 'Schemathesis answer.' },
    );
    await stack.api.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(stack.api.server.address() as AddressInfo).port}`;
    const args = [
      'run',
      `${base}/docs/json`,
      '--url',
      base,
      '-H',
      `X-Agent-Daemon-Key: ${stack.daemonKey}`,
      '--checks',
      CHECKS.join(','),
      '--max-examples',
      '40',
      '--request-timeout',
      '60',
      '--workers',
      '2',
      '--report',
      'junit',
      '--report-dir',
      outDir,
      '--output-sanitize',
      'true',
      ...process.argv.slice(2).filter((a) => a !== '--'),
    ];
    process.stdout.write(
      `schemathesis ${args.map((a) => (a.includes(stack.daemonKey) ? 'X-Agent-Daemon-Key: <redacted>' : a)).join(' ')}\n`,
    );
    const code = await new Promise<number>((resolve) => {
      // cwd in .data/: schemathesis keeps its example database in ./.schemathesis.
      const child = spawn(st, args, {
        stdio: 'inherit',
        cwd: outDir,
        env: { ...process.env, SCHEMATHESIS_HOOKS: '' },
      });
      child.on('exit', (c) => resolve(c ?? 1));
    });
    process.exitCode = code;
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `schemathesis run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

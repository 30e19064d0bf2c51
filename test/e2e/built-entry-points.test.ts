/**
 * The production artefacts start and work: the compiled worker and API (`node dist/src/worker/main.js`,
 * `node dist/src/api/main.js`, what the image runs; `make test` builds them before jest) against the
 * test Temporal server, the reference backend and the fake model, and one turn over HTTP. Nothing
 * the build emits may reach test code, which the image does not carry.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { sendBody, TEST_JWT_SECRET } from '../support/stack';
import { postJson } from '../support/sse';
import {
  ensureBuilt,
  startApiProcess,
  startWorkerProcess,
  WORKER_START_TIMEOUT_MS,
  type ClasperProcess,
} from '../support/worker-process';
import { useStack } from './helpers';

const ANSWER = 'Answered by the compiled worker.';

/** Every `require("…")` of a relative path in the emitted JavaScript, resolved against its file. */
function relativeRequires(dir: string): { from: string; to: string }[] {
  const found: { from: string; to: string }[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const file = path.join(entry.parentPath, entry.name);
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g))
      found.push({
        from: path.relative(REPO_ROOT, file),
        to: path.relative(REPO_ROOT, path.resolve(path.dirname(file), m[1] as string)),
      });
  }
  return found;
}

describe('the built entry points', () => {
  const stack = useStack({ worker: false });
  const procs: ClasperProcess[] = [];

  beforeAll(() => ensureBuilt(), 300_000);
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGTERM');
  }, 60_000);

  it('nothing under dist/ imports test code, and every relative import resolves inside dist/', () => {
    const requires = relativeRequires(path.join(REPO_ROOT, 'dist'));
    expect(requires.length).toBeGreaterThan(100);
    const outside = requires.filter(
      ({ to }) => !to.startsWith('dist/') || to.startsWith('dist/test/') || /\.test$|test-helpers/.test(to),
    );
    expect(outside).toEqual([]);
    expect(fs.existsSync(path.join(REPO_ROOT, 'dist/test'))).toBe(false);
  });

  it(
    'the compiled worker and API complete a turn over HTTP',
    async () => {
      const worker = await startWorkerProcess(stack(), { built: true });
      procs.push(worker);
      const api = await startApiProcess(stack(), { built: true });
      procs.push(api);
      stack().llm.script({ text: ANSWER });
      const res = await postJson(
        `${api.url}/api/agents/send`,
        sendBody({ user_id: 'built', session_key: 'user:built:lead' }),
      );
      expect({ status: res.status, body: await res.json() }).toMatchObject({
        status: 200,
        body: { status: 'ok', response: ANSWER, posted: true },
      });
      expect((await stack().backend.inspect('built')).messages.map((m) => m.content)).toEqual([ANSWER]);
    },
    WORKER_START_TIMEOUT_MS * 2,
  );

  it('the CLI in bin/ runs the compiled code (what the image carries)', () => {
    const out = execFileSync(
      process.execPath,
      ['bin/clasper.js', 'workspace', 'check', '--dir', 'workspace'],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', AGENT_JWT_SECRET: TEST_JWT_SECRET },
        encoding: 'utf8',
      },
    );
    expect(out).toMatch(/^workspace OK$/m);
  });
});

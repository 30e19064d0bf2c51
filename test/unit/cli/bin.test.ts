/** The installed entry point as a user runs it: a real `node bin/clasper.js` process. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const REPO_ROOT = path.resolve(__dirname, '../../..');

describe('bin/clasper.js', () => {
  it('--help exits 0 and lists every command', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/clasper.js'), '--help'],
      {
        cwd: REPO_ROOT,
        timeout: 30_000,
      },
    );
    for (const command of ['init', 'send', 'turns', 'schedules', 'workspace', 'doctor']) {
      expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
  });

  it('exits non-zero on an unknown command', async () => {
    const run = promisify(execFile)(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/clasper.js'), 'frobnicate'],
      {
        cwd: REPO_ROOT,
        timeout: 30_000,
      },
    );
    await expect(run).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("unknown command 'frobnicate'"),
    });
  });

  it("reads .env in the current directory (make dev's secrets), under the real environment", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-bin-'));
    try {
      fs.writeFileSync(
        path.join(dir, '.env'),
        '# a comment\nBACKEND_URL=localhost:8000\nCLASPER_PORT="eighty"\n',
      );
      const run = promisify(execFile)(
        process.execPath,
        [path.join(REPO_ROOT, 'bin/clasper.js'), 'doctor', '--json'],
        { cwd: dir, timeout: 30_000, env: { PATH: process.env.PATH ?? '', CLASPER_PORT: '8081' } },
      );
      const failed = (await run.then(
        () => undefined,
        (err: { code: number; stdout: string }) => err,
      )) as { code: number; stdout: string };
      expect(failed.code).toBe(1);
      const { checks } = JSON.parse(failed.stdout) as { checks: { name: string; details?: string[] }[] };
      expect(checks[0]).toMatchObject({
        name: 'config',
        details: ["BACKEND_URL must be an http(s) URL, got 'localhost:8000'"],
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

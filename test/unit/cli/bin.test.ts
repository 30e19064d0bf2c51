/** The installed entry point as a user runs it: a real `node bin/clasper.js` process. */
import { execFile } from 'node:child_process';
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
});

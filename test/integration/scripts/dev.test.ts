/**
 * `make dev` as a user runs it (`tsx scripts/dev.ts`), in a temporary directory and on free
 * ports so it runs beside anything else: with no `.env` it writes one with its built-in secrets
 * (what `clasper doctor` then reads), and when the backend dies the rest keeps running and says
 * so; Ctrl-C then stops everything.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readDotEnvFile } from '../../../src/config';
import { ensureDotEnv } from '../../../scripts/lib/dev-env';
import { REPO_ROOT, freePort } from '../../../scripts/lib/temporal-dev-server';

jest.setTimeout(180_000);
const execFileP = promisify(execFile);

/** Every descendant of `pid` (by /proc parent links) whose command line contains `needle`. */
function descendants(pid: number, needle: string): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const isBelow = (p: number): boolean => {
    for (let cur = parents.get(p); cur !== undefined && cur > 1; cur = parents.get(cur))
      if (cur === pid) return true;
    return false;
  };
  return [...parents.keys()].filter((p) => {
    if (!isBelow(p)) return false;
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle);
    } catch {
      return false;
    }
  });
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('make dev', () => {
  let dir: string;
  let dev: ChildProcess | undefined;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-dev-'));
  });
  afterAll(() => {
    // Only if a test failed half-way: the whole group this test started.
    if (dev?.pid && dev.exitCode === null) process.kill(-dev.pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes .env when absent, keeps the rest up when only the backend exits, and Ctrl-C stops all', async () => {
    const [temporalPort, uiPort, backendPort, apiPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const ports = {
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      MC_LITE_PORT: String(backendPort),
      BACKEND_URL: `http://127.0.0.1:${backendPort}`,
      CLASPER_PORT: String(apiPort),
      CLASPER_WORKER_METRICS_PORT: '0',
    };
    let stdout = '';
    let stderr = '';
    dev = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'),
        'scripts/dev.ts',
        '--dir',
        dir,
        '--ui-port',
        String(uiPort),
      ],
      {
        cwd: REPO_ROOT,
        detached: true,
        env: { PATH: process.env.PATH ?? '', ...ports, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    dev.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    dev.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => dev?.once('exit', (code) => resolve(code)));

    const up = () => {
      if (dev?.exitCode !== null) throw new Error(`make dev exited:\n${stdout}\n${stderr}`);
      return stdout.includes('Clasper on Temporal is running');
    };
    await until('make dev to be up', up, 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr.slice(-3000)}`);
    });
    expect(stdout).toContain(`wrote ${path.join(dir, '.env')} with make dev's built-in secrets`);
    const written = readDotEnvFile(path.join(dir, '.env'));
    expect(Object.keys(written).sort()).toEqual(['AGENT_JWT_SECRET', 'INTERNAL_API_TOKEN']);
    expect(written.AGENT_JWT_SECRET).toMatch(/^dev-only-/);
    expect(fs.statSync(path.join(dir, '.env')).mode & 0o077).toBe(0);

    // clasper doctor right after, in the directory of that .env and given no secret: it finds them there.
    const doctor = await execFileP(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/clasper.js'), 'doctor', '--json'],
      {
        cwd: dir,
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? '', ...ports },
      },
    ).catch((err: { stdout: string }) => err);
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; status: string }[] }).checks;
    const status = Object.fromEntries(checks.map((c) => [c.name, c.status]));
    expect(status).toMatchObject({
      config: 'ok',
      temporal: 'ok',
      backend: 'ok',
      'agent token': 'ok',
      api: 'ok',
    });

    const backend = descendants(dev.pid as number, 'mission-control-lite/main.ts');
    expect(backend.length).toBeGreaterThan(0);
    for (const pid of backend) process.kill(pid, 'SIGKILL');
    await until('the backend exit to be reported', () => stderr.includes('[backend] exited'), 30_000);
    expect(stderr).toContain('the worker, the API and Temporal keep running');
    expect(stderr).not.toContain('stopping everything');
    const health = await fetch(`http://127.0.0.1:${apiPort}/health`);
    expect(health.status).toBe(200);
    expect(dev.exitCode).toBeNull();

    process.kill(dev.pid as number, 'SIGINT');
    expect(await exited).toBe(0);
    expect(descendants(dev.pid as number, 'node')).toEqual([]);
  });

  it('never changes an existing .env, and names a built-in secret it lacks', () => {
    const file = path.join(dir, '.env');
    const own = '# mine\nAGENT_JWT_SECRET=my-own-secret-0123456789abcdef\n';
    fs.writeFileSync(file, own);
    expect(ensureDotEnv(file, {})).toEqual([
      `using the existing ${file} (make dev does not change it)`,
      expect.stringMatching(/^ {2}it does not set INTERNAL_API_TOKEN: make dev uses built-in values/),
    ]);
    // Set in the real environment, it is shared anyway: nothing to say.
    expect(ensureDotEnv(file, { INTERNAL_API_TOKEN: 'x' })).toHaveLength(1);
    expect(fs.readFileSync(file, 'utf8')).toBe(own);
  });
});

/**
 * The entry point as `npm run mission-control-lite` runs it: a separate process under tsx, with
 * an explicit environment (the test does not pass its own through).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const MAIN = path.join(__dirname, 'main.ts');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function start(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; output: () => string } {
  const child = spawn(process.execPath, [TSX, MAIN], { cwd: ROOT, env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

function exitCode(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('mission-control-lite main.ts', () => {
  it('listens on MC_LITE_PORT, logs the URL and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const { child, output } = start({
      MC_LITE_PORT: String(port),
      AGENT_JWT_SECRET: 'main-test-secret',
      INTERNAL_API_TOKEN: 'main-test-internal',
      LOG_LEVEL: 'info',
    });
    try {
      await waitFor(
        () => output().includes(`http://127.0.0.1:${port}`) || child.exitCode !== null,
        'the listening log',
      );
      expect(output()).toContain(`mission-control-lite listening on http://127.0.0.1:${port}`);
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      expect(await res.json()).toEqual({ status: 'ok' });
      child.kill('SIGTERM');
      expect(await exitCode(child)).toBe(0);
      expect(output()).toContain('SIGTERM received');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 1 naming each missing variable', async () => {
    const { child, output } = start({ MC_LITE_PORT: '1' });
    expect(await exitCode(child)).toBe(1);
    expect(output()).toContain('AGENT_JWT_SECRET is required');
    expect(output()).toContain('INTERNAL_API_TOKEN is required');
  });
});

/**
 * Child processes of the bench (workers, the API): `node --import tsx <entry>` so the pid we
 * measure is the process doing the work (the `tsx` CLI would add a wrapper process), an IPC
 * channel for the worker's event-loop probe, stderr kept for error messages, and a registry so
 * nothing outlives the bench even when it fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** Last few KB of stderr, for failure messages. */
  stderr(): string;
  /** Sends an IPC message and waits for the first reply of `replyType`. */
  request<T>(message: { type: string }, replyType: string, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export function spawnTs(
  name: string,
  entry: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Child {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  if (child.pid === undefined) throw new Error(`could not start ${name} (${entry})`);
  return {
    name,
    pid: child.pid,
    process: child,
    stderr: () => stderr,
    request<T>(message: { type: string }, replyType: string, timeoutMs = 5000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.off('message', onMessage);
          reject(new Error(`${name} did not answer '${message.type}' within ${timeoutMs} ms`));
        }, timeoutMs);
        const onMessage = (m: unknown) => {
          if ((m as { type?: string } | null)?.type !== replyType) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(m as T);
        };
        child.on('message', onMessage);
        child.send(message);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves when the child sends `{type}` over IPC; rejects if it exits or takes too long. */
export function waitForMessage(child: Child, type: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`${child.name} not ready after ${timeoutMs} ms: ${child.stderr()}`)),
      timeoutMs,
    );
    const onMessage = (m: unknown) => {
      if ((m as { type?: string } | null)?.type === type) done();
    };
    const onExit = (code: number | null) =>
      done(new Error(`${child.name} exited (${code}) before it was ready: ${child.stderr()}`));
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.process.off('message', onMessage);
      child.process.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    child.process.on('message', onMessage);
    child.process.once('exit', onExit);
  });
}

/** Resolves when `url` answers below 500; rejects if the child exits or time runs out. */
export async function waitForHttp(child: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null)
      throw new Error(`${child.name} exited (${child.process.exitCode}): ${child.stderr()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms: ${child.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

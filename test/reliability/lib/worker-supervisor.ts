/**
 * Runs the worker as a child process and plays the part of a crash: `kill()` sends SIGKILL (no
 * drain, no cleanup, exactly what an OOM kill or a lost node does), `start()` brings up a fresh
 * one. Everything the children print is kept, per process, for the secret scan.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../../scripts/lib/temporal-dev-server';

const ENTRY = path.join(REPO_ROOT, 'test/reliability/lib/worker-process.ts');
// tsx as a loader of this very process: the `tsx` CLI would fork a second node process, and a
// SIGKILL to the CLI would leave that one running as an orphan.
const TSX_LOADER = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const READY = 'WORKER READY';

export interface WorkerOutput {
  pid: number;
  stdout: string;
  stderr: string;
}

export class WorkerSupervisor {
  private child: ChildProcess | undefined;
  private readonly outputs: WorkerOutput[] = [];
  /** Children that ever ran, so `stopAll` can make sure none survives the test. */
  private readonly all = new Set<ChildProcess>();
  kills = 0;
  starts = 0;

  constructor(private readonly env: Record<string, string>) {
    // A test that crashes must not leave workers polling a dev server.
    process.once('exit', () => this.all.forEach((c) => c.kill('SIGKILL')));
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts a worker and resolves once it polls; rejects if it exits first or is not ready in time. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error('a worker is already running');
    const child = spawn(process.execPath, ['--import', TSX_LOADER, ENTRY], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.all.add(child);
    this.child = child;
    this.starts += 1;
    const out: WorkerOutput = { pid: child.pid ?? -1, stdout: '', stderr: '' };
    this.outputs.push(out);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`worker not ready after ${timeoutMs} ms:\n${out.stderr.slice(-2000)}`));
      }, timeoutMs);
      child.stdout?.on('data', (d: Buffer) => {
        out.stdout += d.toString();
        if (out.stdout.includes(READY)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr?.on('data', (d: Buffer) => {
        out.stderr += d.toString();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        this.all.delete(child);
        reject(
          new Error(
            `worker exited before it was ready (code ${code}, signal ${signal}):\n${out.stderr.slice(-2000)}`,
          ),
        );
      });
    });
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    this.kills += 1;
    await exited;
  }

  async stopAll(): Promise<void> {
    const waits = [...this.all].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    );
    await Promise.all(waits);
    this.all.clear();
    this.child = undefined;
  }

  /** Everything every worker process printed, one entry per process. */
  output(): WorkerOutput[] {
    return this.outputs.map((o) => ({ ...o }));
  }
}

/**
 * API tests that need no worker: the real app over a real Temporal client (the shared dev server)
 * and a real workspace folder, driven with `app.inject`. Turn-running tests use test/support/stack.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Connection, type Client } from '@temporalio/client';
import { buildApp } from '../../src/api/app';
import { createWorkspace, type Workspace } from '../../src/clients/workspace';
import { loadConfig, type Config } from '../../src/config';
import { temporalClient } from '../../src/clients/temporal/connection';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { TEST_JWT_SECRET } from './stack';

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  client: Client;
  close(): Promise<void>;
}

export async function buildTestApp(
  opts: { env?: Record<string, string>; workspace?: Workspace } = {},
): Promise<TestApp> {
  const address = process.env.CLASPER_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('the jest global setup did not start Temporal');
  const config = loadConfig({
    TEMPORAL_ADDRESS: address,
    CLASPER_TASK_QUEUE: `test-${crypto.randomUUID()}`,
    CLASPER_WORKSPACE: path.join(REPO_ROOT, 'workspace'),
    AGENT_JWT_SECRET: TEST_JWT_SECRET,
    ...opts.env,
  });
  const connection = await Connection.connect({ address });
  const client = temporalClient(config, connection);
  const workspace = opts.workspace ?? quietWorkspace(config.agent.workspace);
  const app = await buildApp({ config, client, workspace });
  return {
    app,
    config,
    client,
    close: async () => {
      await app.close();
      await connection.close();
    },
  };
}

/** UTC, no time block, empty env: answers that do not depend on the machine running the test. */
export function quietWorkspace(root: string): Workspace {
  return createWorkspace({
    root,
    env: {},
    platform: 'linux',
    defaultTimezone: 'UTC',
    includeTimeContext: false,
  });
}

const tempDirs: string[] = [];

/** A private copy of the repository's example workspace, so writes (boot marker) stay out of the repo. */
export function copyOfExampleWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-api-ws-'));
  tempDirs.push(dir);
  fs.cpSync(path.join(REPO_ROOT, 'workspace'), dir, { recursive: true });
  // A local `make dev` may have marked the repo's workspace booted; tests start from a fresh one.
  fs.rmSync(path.join(dir, '.boot-complete'), { force: true });
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Polls `fn` until it returns a value (not undefined) or the deadline passes; no fixed sleeps. */
export async function eventually<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}

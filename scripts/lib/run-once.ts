/**
 * Shared by the one-shot scripts (`npm run dispatcher|heartbeat|standup`): read the config the way
 * the worker does (.env, then the environment), check the backend answers at all, connect to
 * Temporal, start one workflow on the worker's task queue and wait for it under a deadline. Every
 * failure ends in one clear line on stderr and exit code 1.
 */
import path from 'node:path';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { describeFailure } from '../../src/shared/failures';
import {
  ConfigError,
  loadConfig,
  readDotEnvFile,
  timeoutSettings,
  type Config,
  type Env,
} from '../../src/config';
import { executionTimeoutMs, type WorkflowTypeName } from '../../src/shared/timeouts';
import { connectTemporalClient } from '../../src/clients/temporal/connection';
import { REPO_ROOT } from './temporal-dev-server';

/** A failure the script explains itself: printed as is, exit 1. */
export class ScriptError extends Error {}

/** `.env` in the repo root (if any) under the real environment, which wins. */
function environment(): Record<string, string | undefined> {
  return { ...readDotEnvFile(path.join(REPO_ROOT, '.env')), ...process.env };
}

export function scriptConfig(required: (keyof Env)[] = []): Config {
  try {
    return loadConfig(environment(), required);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new ScriptError(`invalid configuration:\n${err.problems.map((p) => `  ${p}`).join('\n')}`);
    throw err;
  }
}

/**
 * Fails fast when nothing answers at BACKEND_URL (any HTTP answer counts: auth is the worker's
 * business). Without this, a dead backend would only show as the workflow retrying for minutes.
 */
export async function checkBackendReachable(config: Config): Promise<void> {
  const url = `${config.backend.url}/api/mission-control/capabilities`;
  try {
    await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    const cause =
      err instanceof Error && err.cause instanceof Error ? err.cause.message : (err as Error).message;
    throw new ScriptError(
      `Mission Control is not reachable at ${config.backend.url} (${cause}): start the backend or set BACKEND_URL`,
    );
  }
}

export async function connectTemporal(
  config: Config,
): Promise<{ client: Client; close: () => Promise<void> }> {
  try {
    const { client, close } = await connectTemporalClient(config, { connectTimeoutMs: 5000 });
    return { client, close };
  } catch (err) {
    throw new ScriptError(`${(err as Error).message} (start Temporal or fix the settings)`);
  }
}

export interface RunOnce {
  workflowType: WorkflowTypeName;
  workflowId: string;
  args: unknown[];
  typedSearchAttributes?: SearchAttributePair[];
  staticSummary?: string;
}

/** Starts the workflow on the worker's task queue and waits up to CLASPER_SEND_TIMEOUT_SEC for it. */
export async function runOnce<T>(client: Client, config: Config, run: RunOnce): Promise<T> {
  const handle = await client.workflow.start(run.workflowType, {
    taskQueue: config.temporal.taskQueue,
    workflowId: run.workflowId,
    args: run.args,
    // The same deadline as the schedule's runs of this type.
    workflowExecutionTimeout: executionTimeoutMs(run.workflowType, timeoutSettings(config)),
    typedSearchAttributes: run.typedSearchAttributes,
    staticSummary: run.staticSummary,
  });
  const waitSec = config.server.sendTimeoutSec;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), waitSec * 1000);
  try {
    return (await client.withAbortSignal(controller.signal, () => handle.result())) as T;
  } catch (err) {
    if (controller.signal.aborted) {
      throw new ScriptError(
        `${run.workflowType} ${run.workflowId} has not finished after ${waitSec} s: is a worker polling task queue ` +
          `'${config.temporal.taskQueue}'? The workflow keeps running; follow it in the Temporal UI.`,
      );
    }
    if (err instanceof WorkflowFailedError) {
      throw new ScriptError(`${run.workflowType} ${run.workflowId} failed: ${describeFailure(err)}`);
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a script body: a ScriptError (or anything else) prints one message and exits 1. */
export function runScript(name: string, body: () => Promise<void>): void {
  body().then(
    () => process.exit(0),
    (err: unknown) => {
      const message =
        err instanceof ScriptError ? err.message : err instanceof Error ? err.message : String(err);
      process.stderr.write(`${name} failed: ${message}\n`);
      process.exit(1);
    },
  );
}

/** A manual run's id: beside the schedule's own runs, and unique. */
export function manualRunId(scheduleId: string): string {
  return `${scheduleId}/manual-${new Date().toISOString()}`;
}

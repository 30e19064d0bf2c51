/** A Temporal client for commands that talk to Temporal directly (schedules, doctor). */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { errorMessage } from './output';

export class TemporalUnreachableError extends Error {
  constructor(config: Config, cause: unknown) {
    super(
      `could not connect to Temporal at ${config.temporal.address} (TEMPORAL_ADDRESS): ${errorMessage(cause)}`,
    );
    this.name = 'TemporalUnreachableError';
  }
}

/**
 * Runs `fn` with the given client, or with one connected from the config for the duration of the
 * call (closed afterwards). A given client is never closed: its owner does that.
 */
export async function withTemporalClient<T>(
  config: Config,
  client: Client | undefined,
  fn: (client: Client) => Promise<T>,
  connectTimeoutMs = 10_000,
): Promise<T> {
  if (client) return fn(client);
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: config.temporal.address,
      connectTimeout: connectTimeoutMs,
    });
  } catch (err) {
    throw new TemporalUnreachableError(config, err);
  }
  try {
    return await fn(new Client({ connection, namespace: config.temporal.namespace }));
  } finally {
    await connection.close().catch(() => undefined);
  }
}

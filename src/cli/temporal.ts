/** A Temporal client for commands that talk to Temporal directly (schedules, doctor). */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { connectTemporalClient } from '../clients/temporal/connection';

/**
 * Runs `fn` with the given client, or with one connected from the config for the duration of the
 * call (closed afterwards). A given client is never closed: its owner does that. A failed connect
 * throws TemporalConnectError, whose message says what to check.
 */
export async function withTemporalClient<T>(
  config: Config,
  client: Client | undefined,
  fn: (client: Client) => Promise<T>,
  connectTimeoutMs = 10_000,
): Promise<T> {
  if (client) return fn(client);
  const handle = await connectTemporalClient(config, { connectTimeoutMs });
  try {
    return await fn(handle.client);
  } finally {
    await handle.close();
  }
}

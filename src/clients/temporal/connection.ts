/**
 * The one way every Clasper process reaches Temporal: the API, the worker (its native connection
 * and its schedules client), the CLI and the scripts all connect through here, from the profile
 * src/config.ts merged (address, namespace, API key, TLS and mTLS, as @temporalio/envconfig reads
 * them). The payload codec is set in `temporalDataConverter` and reaches every client and worker
 * from there.
 */
import { Client, Connection, type ConnectionOptions, type DataConverter } from '@temporalio/client';
import { toClientOptions } from '@temporalio/envconfig';
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../../config';
import { EncryptionCodec } from './payload-codec';
import { tracingClientInterceptors } from '../tracing/temporal';

/** How long a connect waits for the server's first answer before it fails (plain or TLS). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The data converter of every client and worker: the SDK's JSON payloads through the encryption
 * codec (payload-codec.ts), the one place it is set, so that API, worker, schedules, CLI and
 * scripts always agree. With no key configured the codec seals nothing but still names the key an
 * encrypted payload needs. Workflow code gets it through the worker (codecs run outside the
 * workflow sandbox), so the workflow bundle does not change.
 */
export function temporalDataConverter(config: Config): DataConverter {
  return { payloadCodecs: [payloadCodec(config)] };
}

/** The codec itself, for the API's codec server (/codec/encode, /codec/decode). */
export function payloadCodec(config: Config): EncryptionCodec {
  return new EncryptionCodec(config.payloads);
}

/** Connection options for `Connection.connect` and `NativeConnection.connect` alike. */
export function temporalConnectionOptions(config: Config): ConnectionOptions & NativeConnectionOptions {
  const { connectionOptions } = toClientOptions(config.temporal.connection);
  return {
    address: connectionOptions.address,
    tls: connectionOptions.tls,
    apiKey: connectionOptions.apiKey,
    metadata: connectionOptions.metadata,
  };
}

/** `localhost:7233 (namespace 'default', TLS with client certificate)`, for start-up lines and errors. */
export function describeTemporalTarget(config: Config): string {
  const { connection } = config.temporal;
  const tls = temporalConnectionOptions(config).tls;
  const security = !tls
    ? 'plaintext'
    : typeof tls === 'object' && tls.clientCertPair
      ? 'TLS with client certificate'
      : 'TLS';
  return `${connection.address} (namespace '${connection.namespace}', ${security}${connection.apiKey ? ', API key' : ''})`;
}

/** A connect that failed: one line naming the target, the cause and the settings to check. */
export class TemporalConnectError extends Error {
  constructor(config: Config, cause: unknown) {
    const why = (cause instanceof Error ? cause.message : String(cause)).replace(/\s+/g, ' ').trim();
    super(
      `could not connect to Temporal at ${describeTemporalTarget(config)}: ${why}; ` +
        'check TEMPORAL_ADDRESS, TEMPORAL_TLS_* and TEMPORAL_API_KEY (or the TEMPORAL_PROFILE file)',
      { cause },
    );
    this.name = 'TemporalConnectError';
  }
}

export interface TemporalClientHandle {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/** A client on the configured namespace; a failed connect throws TemporalConnectError. */
export async function connectTemporalClient(
  config: Config,
  opts: { connectTimeoutMs?: number } = {},
): Promise<TemporalClientHandle> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...temporalConnectionOptions(config),
      connectTimeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    throw new TemporalConnectError(config, err);
  }
  return {
    client: temporalClient(config, connection),
    connection,
    close: () => connection.close().catch(() => undefined),
  };
}

/** A client over a connection someone else owns (the API's, a test's). */
export function temporalClient(config: Config, connection: Connection): Client {
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: temporalDataConverter(config),
    // Workflow starts join the caller's trace when the process traces (src/clients/tracing).
    interceptors: { workflow: tracingClientInterceptors() },
  });
}

/**
 * The worker's native (Rust core) connection. Imported lazily so that the API and the CLI, which
 * never poll, do not load the worker's native module.
 */
export async function connectTemporalWorker(config: Config): Promise<NativeConnection> {
  const { NativeConnection } = await import('@temporalio/worker');
  try {
    return await NativeConnection.connect(temporalConnectionOptions(config));
  } catch (err) {
    throw new TemporalConnectError(config, err);
  }
}

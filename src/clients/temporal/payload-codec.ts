/**
 * The payload codec that keeps users' data out of Temporal's database: every payload a client or
 * worker sends (turn input, prompts, model answers, tool results, summaries, encoded failures) is
 * serialised, optionally deflated, and sealed with AES-256-GCM before it leaves the process.
 *
 * Wire shape of an encrypted payload:
 *   metadata.encoding              = `binary/encrypted`
 *   metadata.encryption-key-id     = the id of the key that sealed it (CLASPER_PAYLOAD_KEY_ID)
 *   metadata.encryption-compression = `zlib` when the plaintext was deflated first (absent otherwise)
 *   data                           = 12-byte nonce ‖ ciphertext ‖ 16-byte GCM tag
 * The plaintext is the whole original Payload (protobuf), so its own metadata (`json/plain`, …)
 * comes back intact. The key id and compression flag are bound as additional authenticated data:
 * a payload whose metadata was edited fails to open instead of being read with the wrong key or
 * inflated when it was not deflated.
 *
 * Decoding passes payloads that are not `binary/encrypted` through unchanged, so histories written
 * before encryption was switched on (and the recorded fixtures) still replay. A codec without keys
 * still recognises encrypted payloads, to fail with a line naming the missing key id instead of the
 * payload converter's "unknown encoding".
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { PAYLOAD_KEY_BYTES, type Config } from '../../config';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const COMPRESSION_METADATA = 'encryption-compression';
const COMPRESSION = 'zlib';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface PayloadKeyring {
  /** Every key that may open a payload, by id (the current one and those being rotated out). */
  keys: ReadonlyMap<string, Buffer>;
  /** The id of the key new payloads are sealed with; unset = encryption off (decode still checks). */
  currentKeyId?: string;
  /** Deflate plaintexts of at least this many bytes before sealing; 0 = never. */
  compressMinBytes: number;
}

/** A payload this process cannot open: which key it needs, or why it does not open. */
export class PayloadDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptError';
  }
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

function additionalData(keyId: string, compression: string | undefined): Buffer {
  return Buffer.from(`clasper-payload/v1\n${keyId}\n${compression ?? ''}`, 'utf8');
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: PayloadKeyring) {}

  /** True when new payloads are sealed (a current key is set). */
  get encrypting(): boolean {
    return this.keyring.currentKeyId !== undefined;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.currentKeyId;
    if (keyId === undefined) return payloads;
    const key = this.keyring.keys.get(keyId);
    if (!key) throw new PayloadDecryptError(`payload key '${keyId}' is not among the configured keys`);
    return payloads.map((p) => this.seal(p, keyId, key));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.open(p));
  }

  private seal(payload: Payload, keyId: string, key: Buffer): Payload {
    // Encoding twice would make the UI show ciphertext after one decode: a sealed payload stays as is.
    if (text(payload.metadata?.encoding) === ENCRYPTED_ENCODING) return payload;
    let plain: Buffer = Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish());
    let compression: string | undefined;
    const { compressMinBytes } = this.keyring;
    if (compressMinBytes > 0 && plain.length >= compressMinBytes) {
      const deflated = zlib.deflateSync(plain);
      if (deflated.length < plain.length) {
        plain = deflated;
        compression = COMPRESSION;
      }
    }
    const nonce = crypto.randomBytes(NONCE_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(additionalData(keyId, compression));
    const sealed = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        encoding: utf8(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: utf8(keyId),
        ...(compression ? { [COMPRESSION_METADATA]: utf8(compression) } : {}),
      },
      data: sealed,
    };
  }

  private open(payload: Payload): Payload {
    if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!keyId) throw new PayloadDecryptError('an encrypted payload carries no encryption-key-id');
    const key = this.keyring.keys.get(keyId);
    if (!key) {
      const known = [...this.keyring.keys.keys()];
      throw new PayloadDecryptError(
        `payload is encrypted with key '${keyId}', which this process does not have ` +
          `(${known.length ? `it has ${known.map((k) => `'${k}'`).join(', ')}` : 'no CLASPER_PAYLOAD_KEYS set'}): ` +
          `add '${keyId}:<base64 key>' to CLASPER_PAYLOAD_KEYS`,
      );
    }
    const compression = text(payload.metadata?.[COMPRESSION_METADATA]);
    if (compression !== undefined && compression !== COMPRESSION)
      throw new PayloadDecryptError(`encrypted payload names an unknown compression '${compression}'`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < NONCE_BYTES + TAG_BYTES)
      throw new PayloadDecryptError(`encrypted payload (key '${keyId}') is too short to be one`);
    let plain: Buffer;
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
      decipher.setAAD(additionalData(keyId, compression));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      plain = Buffer.concat([
        decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadDecryptError(
        `encrypted payload does not open with key '${keyId}': the key under that id is not the one it was sealed with, or the payload was altered`,
      );
    }
    if (compression) plain = zlib.inflateSync(plain);
    return temporal.api.common.v1.Payload.decode(plain);
  }
}

/** A fresh key in the form CLASPER_PAYLOAD_KEYS takes (`id:base64`), for `make dev` and the docs. */
export function generatePayloadKey(id: string): string {
  return `${id}:${crypto.randomBytes(PAYLOAD_KEY_BYTES).toString('base64')}`;
}

/**
 * One line on the state of payload encryption, for doctor, /health?deep=true and start-up: a
 * warning when it is off in production (NODE_ENV=production), where users' data then reaches
 * Temporal's database in plain JSON.
 */
export function payloadProtection(config: Config): { encrypting: boolean; warning?: string; line: string } {
  const { keys, currentKeyId } = config.payloads;
  if (currentKeyId !== undefined) {
    const older = [...keys.keys()].filter((k) => k !== currentKeyId);
    return {
      encrypting: true,
      line: `payloads encrypted with key '${currentKeyId}'${older.length ? ` (also opening ${older.map((k) => `'${k}'`).join(', ')})` : ''}`,
    };
  }
  const line = 'payload encryption is off: messages, prompts and tool results reach Temporal in plain JSON';
  return config.production
    ? {
        encrypting: false,
        line,
        warning: `${line}; set CLASPER_PAYLOAD_KEYS and CLASPER_PAYLOAD_KEY_ID (README, "Data protection")`,
      }
    : { encrypting: false, line };
}

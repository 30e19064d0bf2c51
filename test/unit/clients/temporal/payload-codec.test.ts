/** The encryption codec and its configuration: sealing, opening, rotation, refusal, compression. */
import crypto from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadConfig } from '../../../../src/config';
import {
  COMPRESSION_METADATA,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  generatePayloadKey,
  KEY_ID_METADATA,
  PayloadDecryptError,
  payloadProtection,
} from '../../../../src/clients/temporal/payload-codec';
import { checkPayloadEncryption } from '../../../../src/cli/doctor';
import { configProblems } from '../../config/problems';

const keyA = generatePayloadKey('a');
const keyB = generatePayloadKey('b');
const codecFor = (env: Record<string, string>) => new EncryptionCodec(loadConfig(env).payloads);
const meta = (p: Payload, k: string) => (p.metadata?.[k] ? Buffer.from(p.metadata[k]).toString() : undefined);
const json = (v: unknown) => defaultPayloadConverter.toPayload(v);
const value = (p: Payload) => defaultPayloadConverter.fromPayload(p);

describe('EncryptionCodec', () => {
  const secret = 'the user wrote: my account number is 12345';

  it('seals a payload so its text is gone, under the current key id, and opens it again intact', async () => {
    const codec = codecFor({ CLASPER_PAYLOAD_KEYS: keyA });
    const [sealed] = await codec.encode([json({ message: secret })]);
    expect(meta(sealed!, 'encoding')).toBe(ENCRYPTED_ENCODING);
    expect(meta(sealed!, KEY_ID_METADATA)).toBe('a');
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toContain('account number');
    const [opened] = await codec.decode([sealed!]);
    expect(meta(opened!, 'encoding')).toBe('json/plain');
    expect(value(opened!)).toEqual({ message: secret });
  });

  it('uses a fresh nonce per payload: the same plaintext never seals to the same bytes', async () => {
    const codec = codecFor({ CLASPER_PAYLOAD_KEYS: keyA });
    const [one, two] = await codec.encode([json(secret), json(secret)]);
    expect(Buffer.from(one!.data!).equals(Buffer.from(two!.data!))).toBe(false);
    expect(Buffer.from(one!.data!).subarray(0, 12).equals(Buffer.from(two!.data!).subarray(0, 12))).toBe(
      false,
    );
  });

  it('rotation: after switching to key b, payloads sealed with a still open; new ones use b', async () => {
    const before = codecFor({ CLASPER_PAYLOAD_KEYS: `${keyA},${keyB}`, CLASPER_PAYLOAD_KEY_ID: 'a' });
    const after = codecFor({ CLASPER_PAYLOAD_KEYS: `${keyA},${keyB}`, CLASPER_PAYLOAD_KEY_ID: 'b' });
    const [old] = await before.encode([json('old turn')]);
    const [fresh] = await after.encode([json('new step')]);
    expect(meta(fresh!, KEY_ID_METADATA)).toBe('b');
    expect((await after.decode([old!, fresh!])).map(value)).toEqual(['old turn', 'new step']);
  });

  it('a payload whose key this process lacks is a clear error naming the key id', async () => {
    const [sealed] = await codecFor({ CLASPER_PAYLOAD_KEYS: keyA }).encode([json(secret)]);
    await expect(codecFor({ CLASPER_PAYLOAD_KEYS: keyB }).decode([sealed!])).rejects.toThrow(
      /encrypted with key 'a', which this process does not have \(it has 'b'\): add 'a:<base64 key>' to CLASPER_PAYLOAD_KEYS/,
    );
    await expect(codecFor({}).decode([sealed!])).rejects.toThrow(/key 'a'.*no CLASPER_PAYLOAD_KEYS set/);
  });

  it('a different key under the same id, or edited metadata, fails to open instead of yielding garbage', async () => {
    const [sealed] = await codecFor({ CLASPER_PAYLOAD_KEYS: keyA }).encode([json(secret)]);
    const impostor = codecFor({ CLASPER_PAYLOAD_KEYS: generatePayloadKey('a') });
    await expect(impostor.decode([sealed!])).rejects.toBeInstanceOf(PayloadDecryptError);
    const tampered = {
      ...sealed!,
      metadata: { ...sealed!.metadata, [COMPRESSION_METADATA]: new TextEncoder().encode('zlib') },
    };
    await expect(codecFor({ CLASPER_PAYLOAD_KEYS: keyA }).decode([tampered])).rejects.toThrow(
      /does not open with key 'a'/,
    );
  });

  it('passes plain payloads through on decode (histories from before encryption) and seals nothing when off', async () => {
    const plain = json({ a: 1 });
    expect(await codecFor({ CLASPER_PAYLOAD_KEYS: keyA }).decode([plain])).toEqual([plain]);
    expect(await codecFor({}).encode([plain])).toEqual([plain]);
  });

  it('deflates large payloads before sealing (above the threshold), not small ones', async () => {
    const codec = codecFor({ CLASPER_PAYLOAD_KEYS: keyA, CLASPER_PAYLOAD_COMPRESS_MIN_BYTES: '1024' });
    const big = json({ tool_result: 'row,'.repeat(5000) });
    const [sealedBig, sealedSmall] = await codec.encode([big, json('short')]);
    expect(meta(sealedBig!, COMPRESSION_METADATA)).toBe('zlib');
    expect(sealedBig!.data!.length).toBeLessThan(big.data!.length / 4);
    expect(meta(sealedSmall!, COMPRESSION_METADATA)).toBeUndefined();
    expect(value((await codec.decode([sealedBig!]))[0]!)).toEqual({ tool_result: 'row,'.repeat(5000) });
    const never = codecFor({ CLASPER_PAYLOAD_KEYS: keyA, CLASPER_PAYLOAD_COMPRESS_MIN_BYTES: '0' });
    expect(meta((await never.encode([big]))[0]!, COMPRESSION_METADATA)).toBeUndefined();
  });
});

describe('payload key configuration', () => {
  it('one key encrypts without a key id; several need CLASPER_PAYLOAD_KEY_ID naming one of them', () => {
    expect(loadConfig({ CLASPER_PAYLOAD_KEYS: keyA }).payloads.currentKeyId).toBe('a');
    expect(configProblems({ CLASPER_PAYLOAD_KEYS: `${keyA},${keyB}` })).toEqual([
      'CLASPER_PAYLOAD_KEY_ID must name the key that encrypts when CLASPER_PAYLOAD_KEYS holds several (a, b), got nothing',
    ]);
    expect(configProblems({ CLASPER_PAYLOAD_KEYS: keyA, CLASPER_PAYLOAD_KEY_ID: 'c' })).toEqual([
      "CLASPER_PAYLOAD_KEY_ID must be one of the ids in CLASPER_PAYLOAD_KEYS (a), got 'c'",
    ]);
    expect(configProblems({ CLASPER_PAYLOAD_KEY_ID: 'c' })[0]).toMatch(/CLASPER_PAYLOAD_KEYS is empty/);
  });

  it('a malformed key is one line that never echoes the keys', () => {
    const short = `k1:${crypto.randomBytes(16).toString('base64')}`;
    for (const [keys, why] of [
      [short, "key 'k1' must be 32 bytes in base64"],
      ['no-colon', 'entry 1 must look like id:base64key'],
      [`${keyA},${keyA}`, "names key 'a' twice"],
      [`bad id:${keyA.slice(2)}`, 'entry 1 must look like id:base64key'],
    ] as const) {
      const problems = configProblems({ CLASPER_PAYLOAD_KEYS: keys });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(why);
      expect(problems[0]).toContain('(value hidden: it holds keys)');
      const material = keys.split(':')[1];
      if (material) expect(problems[0]).not.toContain(material.slice(0, 10));
    }
  });

  it('CORS origins must be bare origins', () => {
    expect(loadConfig({}).codec.corsOrigins).toEqual(['http://localhost:8233', 'http://127.0.0.1:8233']);
    expect(configProblems({ CLASPER_CODEC_CORS_ORIGINS: 'https://cloud.temporal.io/namespaces' })[0]).toMatch(
      /entry 'https:\/\/cloud.temporal.io\/namespaces' must be an origin/,
    );
  });

  it('off is fine in development and a warning in production (doctor and deep health share the line)', () => {
    expect(payloadProtection(loadConfig({})).warning).toBeUndefined();
    expect(checkPayloadEncryption(loadConfig({})).status).toBe('ok');
    const prod = loadConfig({ NODE_ENV: 'production' });
    expect(payloadProtection(prod).warning).toMatch(/payload encryption is off.*set CLASPER_PAYLOAD_KEYS/);
    expect(checkPayloadEncryption(prod)).toMatchObject({
      status: 'warn',
      reason: payloadProtection(prod).warning,
    });
    const on = loadConfig({
      NODE_ENV: 'production',
      CLASPER_PAYLOAD_KEYS: `${keyA},${keyB}`,
      CLASPER_PAYLOAD_KEY_ID: 'b',
    });
    expect(checkPayloadEncryption(on)).toEqual({
      name: 'payload encryption',
      status: 'ok',
      reason: "payloads encrypted with key 'b' (also opening 'a')",
    });
  });
});

/**
 * HTTP shapes of the codec server (POST /codec/encode, /codec/decode), as Temporal's codec server
 * protocol defines them: Payloads in protobuf JSON, every metadata value and the data base64.
 */
import { z } from 'zod';
import { ErrorSchema } from './common';

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const Base64Schema = z.string().regex(BASE64, { error: 'must be base64' });

export const CodecPayloadSchema = z
  .object({
    metadata: z
      .record(z.string().max(256), Base64Schema)
      .optional()
      .describe('Metadata values, base64 (e.g. encoding: "YmluYXJ5L2VuY3J5cHRlZA==" for binary/encrypted)'),
    data: Base64Schema.optional().describe('The payload bytes, base64'),
  })
  .describe('CodecPayload');

export const CodecPayloadsSchema = z
  .object({ payloads: z.array(CodecPayloadSchema).max(10_000) })
  .describe('CodecPayloads');

export const CodecHeadersSchema = z.object({
  'x-namespace': z
    .string()
    .max(1000)
    .optional()
    .describe('The namespace the payloads belong to (the Temporal UI sends it); must be this runtime’s'),
});

export const CodecCredentialParamsSchema = z.object({
  credential: z.string().max(1000).describe('CLASPER_CODEC_TOKEN, for clients that cannot send a header'),
});

/** 401 without credentials, 403 wrong ones, 404 when encryption is off, 400 a payload that does not open. */
export const codecErrors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  413: ErrorSchema,
} as const;

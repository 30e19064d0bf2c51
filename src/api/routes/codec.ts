/**
 * The codec server for the Temporal UI and CLI (Temporal's codec server protocol): POST
 * /codec/decode opens encrypted payloads for an authorised operator, /codec/encode seals payloads
 * the UI or CLI sends (a signal or start from the UI), with the same codec every worker and client
 * uses (src/clients/temporal/payload-codec.ts).
 *
 * Authentication is its own, not the daemon-key hook's: the UI cannot send X-Agent-Daemon-Key.
 * Accepted: `Authorization: Bearer <CLASPER_CODEC_TOKEN or AGENT_DAEMON_API_KEY>` (the CLI's
 * `--codec-auth`), `X-Agent-Daemon-Key`, or the token as a path segment, `/codec/<token>/decode`,
 * for the Temporal UI, which appends `/decode` to the endpoint it is given and sends no
 * Authorization header of ours (its "pass access token" sends the UI's own login token, and only
 * over https). With no credential configured every call is refused: decoding is never open.
 *
 * CORS: preflights and answers carry Access-Control-Allow-* for CLASPER_CODEC_CORS_ORIGINS only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Payload } from '@temporalio/common';
import type { Config } from '../../config';
import { PayloadDecryptError, type EncryptionCodec } from '../../clients/temporal/payload-codec';
import {
  CodecCredentialParamsSchema,
  CodecHeadersSchema,
  CodecPayloadsSchema,
  codecErrors,
} from '../schemas/codec';

export interface CodecRoutesOptions {
  config: Config;
  codec: EncryptionCodec;
}

type JsonPayload = { metadata?: Record<string, string>; data?: string };

function fromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

function toJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {}))
    if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `/codec/<token>/decode` → `/codec/<redacted>/decode`, for log lines. */
export function redactCodecCredential(url: string): string {
  return url.replace(/^\/codec\/[^/?]+\/(encode|decode)/, '/codec/<redacted>/$1');
}

/** pino's request serializer for the API's log lines: the fields Fastify logs, the codec token redacted. */
export function requestLogFields(req: { method: string; url: string; hostname?: string; ip?: string }) {
  return {
    method: req.method,
    url: redactCodecCredential(req.url),
    host: req.hostname,
    remoteAddress: req.ip,
  };
}

export const codecRoutes: FastifyPluginAsyncZod<CodecRoutesOptions> = async (app, { config, codec }) => {
  const secrets = [config.codec.token, config.server.daemonApiKey].filter(
    (s): s is string => typeof s === 'string' && s !== '',
  );
  const allowedOrigins = new Set(config.codec.corsOrigins);

  const cors = (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    reply.header('vary', 'Origin');
    if (typeof origin !== 'string' || !allowedOrigins.has(origin)) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-methods', 'POST, OPTIONS');
    reply.header(
      'access-control-allow-headers',
      'Content-Type, X-Namespace, Authorization, X-Agent-Daemon-Key',
    );
    reply.header('access-control-allow-credentials', 'true');
    reply.header('access-control-max-age', '600');
  };

  /** undefined when the caller may use the codec, else the refusal. */
  const refusal = (
    request: FastifyRequest,
    fromPath?: string,
  ): { status: 401 | 403; error: string } | undefined => {
    if (secrets.length === 0)
      return {
        status: 401,
        error:
          'the codec server has no credential configured: set CLASPER_CODEC_TOKEN (or AGENT_DAEMON_API_KEY)',
      };
    const auth = request.headers.authorization;
    const bearer =
      typeof auth === 'string' && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '') : undefined;
    const daemonKey = request.headers['x-agent-daemon-key'];
    const given = [fromPath, bearer, typeof daemonKey === 'string' ? daemonKey : undefined].filter(
      (g): g is string => g !== undefined && g !== '',
    );
    if (given.length === 0)
      return {
        status: 401,
        error:
          'the codec server needs a credential: Authorization: Bearer <CLASPER_CODEC_TOKEN>, or /codec/<token>/decode',
      };
    if (!given.some((g) => secrets.some((s) => sameSecret(g, s))))
      return { status: 403, error: 'the codec credential is not valid' };
    return undefined;
  };

  app.addHook('onRequest', async (request, reply) => {
    cors(request, reply);
    if (request.method === 'OPTIONS') return;
    // Before the body is parsed or validated: an anonymous caller learns nothing but 401/403.
    const refused = refusal(request, (request.params as { credential?: string }).credential);
    if (refused) return reply.code(refused.status).send({ error: refused.error });
  });

  const handle =
    (direction: 'encode' | 'decode') =>
    async (request: FastifyRequest<{ Body: { payloads: JsonPayload[] } }>, reply: FastifyReply) => {
      if (config.payloads.keys.size === 0)
        return reply.code(404).send({
          error: 'payload encryption is off (no CLASPER_PAYLOAD_KEYS): there is nothing to encode or decode',
        });
      const namespace = request.headers['x-namespace'];
      if (typeof namespace === 'string' && namespace !== '' && namespace !== config.temporal.namespace)
        return reply.code(400).send({
          error: `this codec server serves namespace '${config.temporal.namespace}', not '${namespace}'`,
        });
      try {
        const payloads = request.body.payloads.map(fromJson);
        const out = direction === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
        return reply.send({ payloads: out.map(toJson) });
      } catch (err) {
        if (err instanceof PayloadDecryptError) return reply.code(400).send({ error: err.message });
        throw err;
      }
    };

  for (const direction of ['encode', 'decode'] as const) {
    // Preflights carry no credentials (browsers never send them on OPTIONS), so they are open.
    for (const url of [`/codec/${direction}`, `/codec/:credential/${direction}`])
      app.options(
        url,
        {
          schema: {
            tags: ['operations'],
            summary: `CORS preflight of ${url}: Access-Control-Allow-* for CLASPER_CODEC_CORS_ORIGINS`,
            ...(url.includes(':credential') ? { params: CodecCredentialParamsSchema } : {}),
            response: { 204: z.null().describe('No body; the CORS headers are the answer') },
          },
        },
        async (_request, reply) => reply.code(204).send(null),
      );
    const schema = {
      tags: ['operations'],
      summary:
        direction === 'decode'
          ? 'Codec server: decrypt payloads for the Temporal UI and CLI'
          : 'Codec server: encrypt payloads the Temporal UI or CLI sends',
      description:
        'Temporal codec server protocol. Credential: Authorization: Bearer <CLASPER_CODEC_TOKEN or daemon key>, ' +
        'or X-Agent-Daemon-Key. Answers 404 when payload encryption is off.',
      headers: CodecHeadersSchema,
      body: CodecPayloadsSchema,
      response: { 200: CodecPayloadsSchema, ...codecErrors },
    };
    app.post(`/codec/${direction}`, { schema }, handle(direction));
    app.post(
      `/codec/:credential/${direction}`,
      {
        schema: {
          ...schema,
          summary: `${schema.summary} (token in the path, for the Temporal UI)`,
          params: CodecCredentialParamsSchema,
        },
      },
      handle(direction),
    );
  }
};

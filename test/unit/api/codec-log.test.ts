/** The Temporal UI's codec endpoint carries its token in the path: the API's log lines never show it. */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { loadConfig } from '../../../src/config';
import { codecRoutes, requestLogFields } from '../../../src/api/routes/codec';
import { payloadCodec } from '../../../src/clients/temporal/connection';
import { generatePayloadKey } from '../../../src/clients/temporal/payload-codec';

it('logs /codec/<token>/decode as /codec/<redacted>/decode, and still serves it', async () => {
  const token = 'path-token-that-must-not-be-logged';
  const config = loadConfig({ CLASPER_PAYLOAD_KEYS: generatePayloadKey('k'), CLASPER_CODEC_TOKEN: token });
  let lines = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines += chunk.toString();
      done();
    },
  });
  // As src/api/main.ts configures the API's logger.
  const app = Fastify({ logger: { level: 'info', stream, serializers: { req: requestLogFields } } });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(codecRoutes, { config, codec: payloadCodec(config) });
  const res = await app.inject({ method: 'POST', url: `/codec/${token}/decode`, payload: { payloads: [] } });
  await app.close();
  expect(res.statusCode).toBe(200);
  expect(lines).toContain('/codec/<redacted>/decode');
  expect(lines).not.toContain(token);
});

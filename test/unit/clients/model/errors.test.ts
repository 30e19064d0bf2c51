import { ApplicationFailure } from '@temporalio/common';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import {
  MAX_RETRY_AFTER_MS,
  ModelError,
  classifyModelError,
  noFallbackConfigured,
  retryDelayFrom,
} from '../../../../src/clients/model/errors';

/** An APIError exactly as the openai client builds one from an HTTP answer. */
function httpError(
  status: number,
  message = `boom ${status}`,
  headers: Record<string, string> = {},
  code?: string,
): APIError {
  return APIError.generate(
    status,
    { error: { message, type: 'invalid_request_error', code: code ?? null } },
    undefined,
    new Headers(headers),
  );
}

describe('classifyModelError', () => {
  const cases: [status: number, type: string, retryable: boolean][] = [
    [400, ModelError.BadRequest, false],
    [401, ModelError.Unauthorized, false],
    [403, ModelError.Forbidden, false],
    [404, ModelError.NotFound, false],
    [408, ModelError.Timeout, true],
    [409, ModelError.Conflict, true],
    [410, ModelError.ClientError, false],
    [422, ModelError.Unprocessable, false],
    [429, ModelError.RateLimited, true],
    [500, ModelError.ServerError, true],
    [502, ModelError.ServerError, true],
    [503, ModelError.ServerError, true],
    [504, ModelError.ServerError, true],
  ];

  it.each(cases)('%i → %s (retryable: %s)', (status, type, retryable) => {
    const err = httpError(status, 'Provider says no');
    const failure = classifyModelError(err, { model: 'gpt-4o-mini' });
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(!retryable);
    expect(failure.message).toMatch(
      new RegExp(`^model server at https://api.openai.com answered ${status}: Provider says no`),
    );
    expect(failure.cause).toBe(err);
    expect(failure.details).toEqual([expect.objectContaining({ status, model: 'gpt-4o-mini' })]);
  });

  describe("a server's validation error of our request's shape", () => {
    const pydantic =
      "[{'type': 'string_type', 'loc': ('body', 'messages', 1, 'content'), 'msg': 'Input should be a valid string', 'input': None}]";
    const ctx = { endpoint: 'http://127.0.0.1:8080', model: 'smollm2' };

    it('is a 500 retried once, then non-retryable, naming the endpoint and quoting the server', () => {
      const first = classifyModelError(httpError(500, pydantic), { ...ctx, attempt: 1 });
      expect(first.type).toBe(ModelError.RequestRejected);
      expect(first.nonRetryable).toBe(false);
      const second = classifyModelError(httpError(500, pydantic), { ...ctx, attempt: 2 });
      expect(second.type).toBe(ModelError.RequestRejected);
      expect(second.nonRetryable).toBe(true);
      expect(second.message).toMatch(/^model server at http:\/\/127\.0\.0\.1:8080 answered 500: /);
      expect(second.message).toContain('Input should be a valid string');
      expect(second.message).toContain('retrying cannot help');
    });

    it('is a 422 that is never retried', () => {
      const f = classifyModelError(httpError(422, 'Field required: messages.0.content'), {
        ...ctx,
        attempt: 1,
      });
      expect(f.type).toBe(ModelError.RequestRejected);
      expect(f.nonRetryable).toBe(true);
    });

    it('leaves other 500s retryable on every attempt', () => {
      const f = classifyModelError(httpError(500, 'CUDA out of memory'), { ...ctx, attempt: 4 });
      expect(f.type).toBe(ModelError.ServerError);
      expect(f.nonRetryable).toBe(false);
    });
  });

  it('says a timeout may only be a slow server and which setting to raise', () => {
    const f = classifyModelError(new APIConnectionTimeoutError(), {
      endpoint: 'http://127.0.0.1:8080',
      timeoutMs: 60_000,
    });
    expect(f.message).toBe(
      'Could not get an answer from the model server at http://127.0.0.1:8080: no answer within 60000 ms; if the server is only slow (a local model on a CPU), raise LLM_REQUEST_TIMEOUT_SEC',
    );
  });

  it("keeps the provider's message word for word", () => {
    expect(classifyModelError(httpError(400, 'Invalid model parameter')).message).toBe(
      'model server at https://api.openai.com answered 400: Invalid model parameter',
    );
  });

  it('takes the retry delay from retry-after seconds', () => {
    const f = classifyModelError(httpError(429, 'Rate limited', { 'retry-after': '1' }));
    expect(f.type).toBe(ModelError.RateLimited);
    expect(f.nextRetryDelay).toBe(1000);
  });

  it('prefers retry-after-ms over retry-after', () => {
    expect(
      classifyModelError(httpError(503, 'busy', { 'retry-after-ms': '250', 'retry-after': '9' }))
        .nextRetryDelay,
    ).toBe(250);
  });

  it('reads retry-after as an HTTP date', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    const f = classifyModelError(httpError(429, 'x', { 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }), {
      now,
    });
    expect(f.nextRetryDelay).toBe(5000);
  });

  it('caps a very long retry-after and ignores garbage', () => {
    expect(retryDelayFrom(new Headers({ 'retry-after': '86400' }))).toBe(MAX_RETRY_AFTER_MS);
    expect(retryDelayFrom(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryDelayFrom(new Headers())).toBeUndefined();
  });

  it('sets no retry delay on a non-retryable failure', () => {
    expect(classifyModelError(httpError(400, 'x', { 'retry-after': '5' })).nextRetryDelay).toBeUndefined();
  });

  it('treats a 429 for a spent quota as non-retryable', () => {
    const f = classifyModelError(httpError(429, 'You exceeded your current quota', {}, 'insufficient_quota'));
    expect(f.type).toBe(ModelError.QuotaExceeded);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('billing');
  });

  it('names the setting to check on a 401 and never the key', () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
    const f = classifyModelError(httpError(401, `Incorrect API key provided: ${key}.`), { redact: [key] });
    expect(f.message).toContain('check OPENAI_API_KEY');
    expect(f.message).not.toContain(key);
    expect(JSON.stringify(f.details)).not.toContain(key);
    expect((f.cause as Error).message).not.toContain(key);
  });

  it('scrubs anything shaped like an OpenAI secret key even when not told the key', () => {
    const f = classifyModelError(httpError(401, 'Incorrect API key provided: sk-abcdefghijklmnopqrstuvwx'));
    expect(f.message).not.toContain('sk-abcdefghijklmnopqrstuvwx');
  });

  it('classifies a refused connection as retryable Model.Network and keeps the useful cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const err = new APIConnectionError({ cause: new TypeError('fetch failed', { cause }) });
    const f = classifyModelError(err, { endpoint: 'http://127.0.0.1:9' });
    expect(f.type).toBe(ModelError.Network);
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain('ECONNREFUSED');
    expect(f.message).toContain('http://127.0.0.1:9');
    expect(f.message).toContain('OPENAI_BASE_URL');
  });

  it('classifies a client timeout as retryable Model.Network', () => {
    const f = classifyModelError(new APIConnectionTimeoutError(), { timeoutMs: 60_000 });
    expect(f.type).toBe(ModelError.Network);
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain('no answer within 60000 ms');
  });

  it('classifies anything else as retryable Model.Unknown', () => {
    const f = classifyModelError(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(f.type).toBe(ModelError.Unknown);
    expect(f.nonRetryable).toBe(false);
    expect(classifyModelError('a string').message).toContain('a string');
  });

  it('passes an ApplicationFailure through unchanged', () => {
    const original = noFallbackConfigured();
    expect(classifyModelError(original)).toBe(original);
    expect(original.nonRetryable).toBe(true);
    expect(original.message).toContain('LLM_MODEL_FALLBACK');
  });
});

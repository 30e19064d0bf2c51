import {
  classifyFetchFailure,
  classifyResponse,
  MAX_RETRY_AFTER_MS,
  MissionControlError as E,
  missionControlFailureDetails,
  parseRetryAfter,
  type ResponseFacts,
} from '../../../../src/clients/mission-control';

/** A response with defaults; each case overrides what it is about. */
function facts(overrides: Partial<ResponseFacts> = {}): ResponseFacts {
  return {
    method: 'POST',
    path: '/api/mission-control/tasks',
    status: 500,
    bodyText: JSON.stringify({ error: 'boom' }),
    retryAfter: null,
    auth: 'agent',
    ...overrides,
  };
}

describe('classifyResponse', () => {
  const cases: { status: number; type: string; retryable: boolean; body?: object }[] = [
    { status: 400, type: E.BadRequest, retryable: false },
    { status: 401, type: E.Unauthorized, retryable: false },
    { status: 403, type: E.Forbidden, retryable: false },
    { status: 404, type: E.NotFound, retryable: false },
    { status: 405, type: E.ClientError, retryable: false },
    { status: 408, type: E.Timeout, retryable: true },
    {
      status: 409,
      type: E.Conflict,
      retryable: false,
      body: { error: 'key reused', code: 'idempotency_conflict' },
    },
    {
      status: 409,
      type: E.Conflict,
      retryable: true,
      body: { error: 'busy', code: 'idempotency_in_progress' },
    },
    {
      status: 409,
      type: E.Conflict,
      retryable: true,
      body: { error: 'request with this key is still in progress' },
    },
    { status: 409, type: E.Conflict, retryable: false, body: { error: 'title taken' } },
    { status: 410, type: E.ClientError, retryable: false },
    { status: 413, type: E.ClientError, retryable: false },
    { status: 422, type: E.BadRequest, retryable: false },
    { status: 429, type: E.RateLimited, retryable: true },
    { status: 500, type: E.ServerError, retryable: true },
    { status: 501, type: E.ServerError, retryable: true },
    { status: 502, type: E.ServerError, retryable: true },
    { status: 503, type: E.ServerError, retryable: true },
    { status: 504, type: E.ServerError, retryable: true },
    { status: 301, type: E.UnexpectedStatus, retryable: false },
    { status: 302, type: E.UnexpectedStatus, retryable: false },
  ];

  it.each(cases)('$status $body → $type, retryable $retryable', ({ status, type, retryable, body }) => {
    const failure = classifyResponse(
      facts({ status, bodyText: JSON.stringify(body ?? { error: 'why it failed' }) }),
    );
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(!retryable);
    const text = (body as { error?: string } | undefined)?.error ?? 'why it failed';
    expect(failure.message.startsWith(`POST /api/mission-control/tasks answered ${status}: ${text}`)).toBe(
      true,
    );
    expect(failure.details?.[0]).toMatchObject({ status, path: '/api/mission-control/tasks' });
  });

  it.each([408, 409, 429, 503])('%i honours Retry-After in seconds', (status) => {
    const body = status === 409 ? JSON.stringify({ error: 'still in progress' }) : '';
    const failure = classifyResponse(facts({ status, bodyText: body, retryAfter: '7' }));
    expect(failure.nextRetryDelay).toBe(7000);
  });

  it('honours Retry-After as an HTTP-date', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    const failure = classifyResponse(
      facts({ status: 429, retryAfter: 'Wed, 01 Jan 2025 00:00:30 GMT', now }),
    );
    expect(failure.nextRetryDelay).toBe(30_000);
  });

  it('leaves the delay to the retry policy without Retry-After, and never sets one on a non-retryable failure', () => {
    expect(classifyResponse(facts({ status: 503 })).nextRetryDelay).toBeUndefined();
    expect(classifyResponse(facts({ status: 400, retryAfter: '5' })).nextRetryDelay).toBeUndefined();
  });

  it('quotes non-JSON bodies shortened to one line, and says when there is no body', () => {
    const html = `<html>\n<body>${'x'.repeat(1000)}</body></html>`;
    const failure = classifyResponse(facts({ status: 502, bodyText: html }));
    expect(failure.message).toMatch(/^POST \/api\/mission-control\/tasks answered 502: <html> <body>x+…$/);
    expect(failure.message.length).toBeLessThan(400);
    expect(classifyResponse(facts({ status: 500, bodyText: '' })).message).toBe(
      'POST /api/mission-control/tasks answered 500: no error text in the response',
    );
  });

  it('gives the internal-token hint on dispatch calls and scrubs a credential the backend echoes', () => {
    const failure = classifyResponse(
      facts({
        status: 401,
        auth: 'internal',
        bodyText: JSON.stringify({ error: 'bad token sekrit-123' }),
        redact: ['sekrit-123'],
      }),
    );
    expect(failure.message).toContain("check that INTERNAL_API_TOKEN matches the backend's");
    expect(failure.message).toContain('bad token [redacted]');
    expect(failure.message).not.toContain('sekrit-123');
    // The backend's own words travel in the details too, scrubbed the same way and without our hint.
    expect(missionControlFailureDetails(failure)?.text).toBe('bad token [redacted]');
  });

  it('missionControlFailureDetails reads only Mission Control failures', () => {
    expect(missionControlFailureDetails(classifyResponse(facts({ status: 404 })))).toMatchObject({
      status: 404,
      path: '/api/mission-control/tasks',
      text: 'boom',
    });
    expect(missionControlFailureDetails(new Error('boom'))).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  it.each([
    ['2', 2000],
    [' 0 ', 0],
    ['Wed, 01 Jan 2025 00:00:05 GMT', 5000],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 0], // in the past: retry now
    ['86400', MAX_RETRY_AFTER_MS], // capped
    ['soon', undefined],
    ['-1', undefined],
    ['', undefined],
    [null, undefined],
  ])('%p → %p', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('classifyFetchFailure', () => {
  it('makes a refused connection a retryable Network failure naming the cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const failure = classifyFetchFailure({
      method: 'GET',
      path: '/api/mission-control/tasks',
      error: new TypeError('fetch failed', { cause }),
      timeoutMs: 30_000,
    });
    expect(failure.type).toBe(E.Network);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain(
      'GET /api/mission-control/tasks failed before the backend answered: fetch failed: connect ECONNREFUSED',
    );
    expect(failure.details).toEqual([{ status: null, path: '/api/mission-control/tasks' }]);
  });

  it('makes a timeout a retryable Network failure that says so', () => {
    const error = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const failure = classifyFetchFailure({ method: 'POST', path: '/p', error, timeoutMs: 250 });
    expect(failure.type).toBe(E.Network);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain('no answer within 250 ms (timed out)');
  });
});

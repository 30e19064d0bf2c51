/**
 * The offline demo model's JSON answers for POST /llm-task: when the system prompt carries a JSON
 * Schema, a value shaped by it (every property, each of its type), so the README's example works
 * on `make dev` without a model. Strings are copied from a same-named field of the request's
 * input when there is one, else `demo <name>`: visibly filled in, never guessed. Covers what
 * people write by hand (types, required/properties, items, enum/const, anyOf/oneOf, min/max,
 * common formats); a schema it cannot satisfy (a pattern, say) fails validation like any model.
 */
import { LLM_TASK_INPUT_INTRO, LLM_TASK_SCHEMA_INTRO } from '../../shared/llm-task';
import type { ChatMessage } from '../../shared/types';

type Schema = Record<string, unknown>;

/** The value for the schema in `messages`' system prompt, as JSON text; undefined without one. */
export function schemaShapedAnswer(messages: ChatMessage[]): string | undefined {
  const schema = afterIntro(messages, 'system', LLM_TASK_SCHEMA_INTRO);
  if (!isSchema(schema)) return undefined;
  const input = afterIntro(messages, 'user', LLM_TASK_INPUT_INTRO);
  return JSON.stringify(valueFor(schema, 'value', input, 0));
}

/** The JSON after `intro` in the first message of that role that has it. */
function afterIntro(messages: ChatMessage[], role: 'system' | 'user', intro: string): unknown {
  for (const m of messages) {
    if (m.role !== role || typeof m.content !== 'string') continue;
    const at = m.content.indexOf(`${intro}\n`);
    if (at < 0) continue;
    try {
      return JSON.parse(m.content.slice(at + intro.length + 1)) as unknown;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MAX_DEPTH = 8;
const FORMATS: Record<string, string> = {
  date: '2026-01-01',
  'date-time': '2026-01-01T00:00:00Z',
  time: '00:00:00Z',
  email: 'demo@example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  uuid: '00000000-0000-4000-8000-000000000000',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
};

function valueFor(schema: Schema, name: string, input: unknown, depth: number): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const first = (schema[key] as unknown[] | undefined)?.find(isSchema);
    if (first) return valueFor({ ...schema, [key]: undefined, ...first }, name, input, depth);
  }
  if (depth > MAX_DEPTH) return null;
  switch (typeOf(schema)) {
    case 'object':
      return objectFor(schema, input, depth);
    case 'array': {
      const items = isSchema(schema.items) ? schema.items : {};
      const n = Math.max(1, numberOr(schema.minItems, 1));
      const fromInput = Array.isArray(input) ? input : [];
      return Array.from({ length: Math.min(n, numberOr(schema.maxItems, n)) }, (_, i) =>
        valueFor(items, name, fromInput[i], depth + 1),
      );
    }
    case 'integer':
    case 'number':
      return numberFor(schema, typeOf(schema) === 'integer', input);
    case 'boolean':
      return typeof input === 'boolean' ? input : false;
    case 'null':
      return null;
    default:
      return stringFor(schema, name, input);
  }
}

function typeOf(schema: Schema): string {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  if (typeof t === 'string') return t;
  if (isSchema(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return 'string';
}

function objectFor(schema: Schema, input: unknown, depth: number): Record<string, unknown> {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [];
  const fields = isSchema(input) ? input : {};
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(properties), ...required])) {
    const sub = properties[key];
    out[key] = valueFor(isSchema(sub) ? sub : {}, key, fields[key], depth + 1);
  }
  return out;
}

function numberFor(schema: Schema, integer: boolean, input: unknown): number {
  const min = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : schema.minimum;
  const max = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - 1 : schema.maximum;
  let n = typeof input === 'number' ? input : numberOr(min, 0);
  if (typeof max === 'number' && n > max) n = max;
  if (typeof min === 'number' && n < min) n = min;
  return integer ? Math.ceil(n) : n;
}

function stringFor(schema: Schema, name: string, input: unknown): string {
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  let s = typeof input === 'string' ? input : (format ?? `demo ${name}`);
  const min = numberOr(schema.minLength, 0);
  if (s.length < min) s = s.padEnd(min, '.');
  const max = numberOr(schema.maxLength, Infinity);
  return s.length > max ? s.slice(0, max) : s;
}

function numberOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

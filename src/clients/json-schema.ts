/**
 * JSON answers and JSON Schemas: a model's answer → a JSON value checked against the caller's JSON
 * Schema (ajv, with ajv-formats). Used by the `validateJson` activity (src/activities/json-task.ts),
 * not workflow code: the check is deterministic, but ajv compiles each schema into JavaScript,
 * which does not belong in the workflow sandbox.
 *
 * The API uses `schemaProblem` to refuse a bad schema with a 400 before any workflow starts.
 * Schemas come from callers, so each is compiled in a fresh ajv instance (one caller's `$id` can
 * never collide with, or leak into, another's) and remote `$ref`s are never fetched.
 */
import Ajv, { type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import type AjvCore from 'ajv/dist/core';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** Enough of ajv's messages to fix the answer; a model that got everything wrong needs no 200-line list. */
const MAX_REPORTED_ERRORS = 10;
/** What goes back to the model (and, on the second failure, to the caller) of an answer that is not JSON. */
const ANSWER_EXCERPT_CHARS = 100;

/** The draft the schema names in `$schema`; draft-07 (ajv's default) when it names none. */
function ajvFor(schema: Record<string, unknown>): AjvCore {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  // Unknown keywords (`example`, vendor extensions) are tolerated: callers paste OpenAPI-style
  // schemas. The schema itself is still checked against its meta-schema, so `type: "objekt"` fails.
  // No `loadSchema`: a remote `$ref` fails to compile instead of being fetched.
  const options = { allErrors: true, strict: false };
  const ajv = dialect.includes('2020-12')
    ? new Ajv2020(options)
    : dialect.includes('2019-09')
      ? new Ajv2019(options)
      : new Ajv(options);
  addFormats(ajv);
  return ajv;
}

export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  return ajvFor(schema).compile(schema as AnySchema);
}

/** Why the schema cannot be used, or undefined when it compiles. */
export function schemaProblem(schema: Record<string, unknown>): string | undefined {
  try {
    compileSchema(schema);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * The answer as JSON. Models asked for a bare value still wrap it in a ```json fence now and then;
 * a fence around the whole answer is removed, anything else must parse as it is.
 */
export function parseAnswer(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const trimmed = text.trim();
  const fenced = /^```[A-Za-z]*\s*\n([\s\S]*?)\n?```$/.exec(trimmed);
  const candidate = fenced ? (fenced[1] ?? '').trim() : trimmed;
  if (candidate === '') return { ok: false, error: 'the answer is empty, not JSON' };
  try {
    return { ok: true, value: JSON.parse(candidate) as unknown };
  } catch (err) {
    const excerpt =
      candidate.length > ANSWER_EXCERPT_CHARS ? `${candidate.slice(0, ANSWER_EXCERPT_CHARS)}...` : candidate;
    return {
      ok: false,
      error: `the answer is not valid JSON (${err instanceof Error ? err.message : String(err)}): ${excerpt}`,
    };
  }
}

export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  const list = (errors ?? [])
    .slice(0, MAX_REPORTED_ERRORS)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
  const more = (errors?.length ?? 0) - list.length;
  return `${list.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

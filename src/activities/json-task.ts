/** `validateJson` of the llm-task workflow: a model's answer parsed and checked against the caller's schema. */
import { ApplicationFailure } from '@temporalio/common';
import type { ValidateFunction } from 'ajv';
import { LlmTaskFailure, type ValidateJsonInput, type ValidateJsonResult } from '../shared/llm-task';
import { compileSchema, describeErrors, parseAnswer } from '../clients/json-schema';

export function createJsonTaskActivities() {
  return {
    /** Parses the answer and checks it against the schema; an unusable answer is a result, not a failure. */
    async validateJson(input: ValidateJsonInput): Promise<ValidateJsonResult> {
      const parsed = parseAnswer(input.text);
      if (!parsed.ok) return parsed;
      if (!input.schema) return { ok: true, value: parsed.value };
      let validate: ValidateFunction;
      try {
        validate = compileSchema(input.schema);
      } catch (err) {
        // The API checks schemas before starting; only a workflow started some other way gets here.
        throw ApplicationFailure.nonRetryable(
          `the schema is invalid: ${err instanceof Error ? err.message : String(err)}`,
          LlmTaskFailure.InvalidSchema,
        );
      }
      if (validate(parsed.value)) return { ok: true, value: parsed.value };
      return { ok: false, error: `the answer does not match the schema: ${describeErrors(validate.errors)}` };
    },
  };
}

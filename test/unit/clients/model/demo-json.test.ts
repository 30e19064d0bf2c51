/** The demo model's schema-shaped JSON: what it answers for POST /llm-task, checked with our ajv. */
import { compileSchema } from '../../../../src/clients/json-schema';
import { demoCallModel } from '../../../../src/clients/model/demo-model';
import { llmTaskMessages } from '../../../../src/shared/llm-task';

function answer(schema: Record<string, unknown> | undefined, input?: unknown): unknown {
  const messages = llmTaskMessages({ prompt: 'Do the task.', input, schema });
  return JSON.parse(demoCallModel({ messages, tier: 'default', json: true }).content ?? '');
}

describe('demo model JSON answers', () => {
  it.each([
    ['the README example', { type: 'object', required: ['city'], properties: { city: { type: 'string' } } }],
    [
      'types, bounds and formats',
      {
        type: 'object',
        properties: {
          title: { type: 'string', minLength: 12, maxLength: 20 },
          priority: { type: 'integer', minimum: 1, maximum: 5 },
          score: { type: 'number', exclusiveMinimum: 0 },
          done: { type: 'boolean' },
          due: { type: 'string', format: 'date' },
          owner: { type: 'string', format: 'email' },
          tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
          kind: { enum: ['bug', 'feature'] },
          version: { const: 2 },
          parent: { anyOf: [{ type: 'null' }, { type: 'string' }] },
          meta: {
            type: 'object',
            properties: { source: { type: ['string', 'null'] } },
            required: ['source'],
          },
        },
        required: ['title', 'priority', 'tags'],
        additionalProperties: false,
      },
    ],
    ['a bare array', { type: 'array', items: { type: 'integer', minimum: 3 } }],
  ])('%s: a value the schema accepts', (_name, schema) => {
    const value = answer(schema);
    const validate = compileSchema(schema);
    expect({ value, valid: validate(value), errors: validate.errors ?? null }).toEqual({
      value,
      valid: true,
      errors: null,
    });
  });

  it('copies same-named fields from the input, and marks the rest as filled in', () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, country: { type: 'string' }, zip: { type: 'integer' } },
    };
    expect(answer(schema, { city: 'Berlin', zip: 10115 })).toEqual({
      city: 'Berlin',
      country: 'demo country',
      zip: 10115,
    });
  });

  it('without a schema, still a JSON object that says it is the demo', () => {
    expect(answer(undefined)).toMatchObject({ demo: true });
  });
});

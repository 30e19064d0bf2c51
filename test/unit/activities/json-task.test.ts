/** The validateJson activity: the answer parsed as JSON and checked with ajv against the caller's schema. */
import { createJsonTaskActivities } from '../../../src/activities/json-task';

describe('validateJson', () => {
  const { validateJson } = createJsonTaskActivities();
  const schema = {
    type: 'object',
    properties: { when: { type: 'string', format: 'date-time' } },
    required: ['when'],
  };

  it('checks formats (ajv-formats) and reports each problem with its path', async () => {
    expect(await validateJson({ text: '{"when": "2026-01-02T03:04:05Z"}', schema })).toEqual({
      ok: true,
      value: { when: '2026-01-02T03:04:05Z' },
    });
    expect(await validateJson({ text: '{"when": "tomorrow"}', schema })).toEqual({
      ok: false,
      error: 'the answer does not match the schema: /when must match format "date-time"',
    });
    expect(await validateJson({ text: '{}', schema })).toEqual({
      ok: false,
      error: "the answer does not match the schema: (root) must have required property 'when'",
    });
  });

  it('honours $schema 2020-12, and the same $id twice is fine (a fresh ajv per schema)', async () => {
    const s = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://example.com/task.json',
      type: 'array',
      prefixItems: [{ type: 'string' }],
    };
    expect(await validateJson({ text: '["a"]', schema: s })).toMatchObject({ ok: true });
    expect(await validateJson({ text: '[1]', schema: s })).toMatchObject({ ok: false });
  });
});

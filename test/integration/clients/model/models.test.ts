/** `listModels` (GET /models, for `clasper doctor`) against the fake OpenAI server: ids and owners, and failures by type. */
import { ModelError, modelFailureDetails } from '../../../../src/clients/model/errors';
import { listModels, looksLikeLlamaCppPython } from '../../../../src/clients/model/models';
import { failureOf } from '../../../support/failure-of';
import { useFakeOpenAI } from '../../../support/fake-openai';

const KEY = 'sk-test-models-0123456789abcdefgh';
const fake = useFakeOpenAI({ models: ['gpt-4o-mini', 'gpt-4o'], requireApiKey: KEY });

describe('listModels', () => {
  it('lists the models the endpoint names, with their owners, asked with our key', async () => {
    const models = await listModels(
      { apiKey: KEY, baseUrl: fake().url, model: 'gpt-4o-mini' },
      { timeoutMs: 5000 },
    );
    expect(models).toEqual([
      { id: 'gpt-4o-mini', ownedBy: 'fake-openai' },
      { id: 'gpt-4o', ownedBy: 'fake-openai' },
    ]);
    expect(looksLikeLlamaCppPython(models)).toBe(false);
    expect(looksLikeLlamaCppPython([{ id: 'smollm2-135m', ownedBy: 'me' }])).toBe(true);
    expect(looksLikeLlamaCppPython([])).toBe(false);
    expect(fake().requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('a rejected key is a Model.Unauthorized with the status in its details, and without the key', async () => {
    const wrong = 'sk-wrong-key-0123456789abcdefgh';
    const f = await failureOf(
      listModels({ apiKey: wrong, baseUrl: fake().url, model: 'gpt-4o-mini' }, { timeoutMs: 5000 }),
    );
    expect(f.type).toBe(ModelError.Unauthorized);
    expect(modelFailureDetails(f)?.status).toBe(401);
    expect(f.message).not.toContain(wrong);
  });

  it('an endpoint that does not answer is a Model.Network', async () => {
    const f = await failureOf(
      listModels(
        { apiKey: KEY, baseUrl: 'http://127.0.0.1:9/v1', model: 'gpt-4o-mini' },
        { timeoutMs: 2000 },
      ),
    );
    expect(f.type).toBe(ModelError.Network);
  });
});

/** `listModelIds` (GET /models, for `clasper doctor`) against the fake OpenAI server: ids, and failures by type. */
import { ApplicationFailure } from '@temporalio/common';
import { ModelError, modelFailureDetails } from '../../../../src/clients/model/errors';
import { listModelIds } from '../../../../src/clients/model/models';
import { useFakeOpenAI } from '../../../support/fake-openai';

const KEY = 'sk-test-models-0123456789abcdefgh';
const fake = useFakeOpenAI({ models: ['gpt-4o-mini', 'gpt-4o'], requireApiKey: KEY });

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected listModelIds to fail');
}

describe('listModelIds', () => {
  it('lists the ids the endpoint names, asked with our key', async () => {
    const ids = await listModelIds(
      { apiKey: KEY, baseUrl: fake().url, model: 'gpt-4o-mini' },
      { timeoutMs: 5000 },
    );
    expect(ids).toEqual(['gpt-4o-mini', 'gpt-4o']);
    expect(fake().requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('a rejected key is a Model.Unauthorized with the status in its details, and without the key', async () => {
    const wrong = 'sk-wrong-key-0123456789abcdefgh';
    const f = await failureOf(
      listModelIds({ apiKey: wrong, baseUrl: fake().url, model: 'gpt-4o-mini' }, { timeoutMs: 5000 }),
    );
    expect(f.type).toBe(ModelError.Unauthorized);
    expect(modelFailureDetails(f)?.status).toBe(401);
    expect(f.message).not.toContain(wrong);
  });

  it('an endpoint that does not answer is a Model.Network', async () => {
    const f = await failureOf(
      listModelIds(
        { apiKey: KEY, baseUrl: 'http://127.0.0.1:9/v1', model: 'gpt-4o-mini' },
        { timeoutMs: 2000 },
      ),
    );
    expect(f.type).toBe(ModelError.Network);
  });
});

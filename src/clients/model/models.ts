/**
 * `GET /models` with the configured key and base URL, as `clasper doctor` asks it: does the
 * endpoint answer, take the key, and list the configured models? Failures are classified like a
 * model call's (errors.ts), so callers tell them apart by ModelError type, never by message text.
 */
import { classifyModelError } from './errors';
import { buildOpenAiClient, errorContextOf, type LlmConfig } from './openai-client';

export interface ListedModel {
  id: string;
  /** The list's `owned_by`: 'openai', 'system'…; llama-cpp-python's server always says 'me'. */
  ownedBy?: string;
}

/** The models the endpoint lists; empty when it answers without a list. */
export async function listModels(
  config: LlmConfig,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<ListedModel[]> {
  const client = buildOpenAiClient(config, opts.timeoutMs);
  try {
    const page = await client.models.list({ signal: opts.signal });
    return Array.isArray(page.data)
      ? page.data.map((m) => ({
          id: String(m.id),
          ...(typeof m.owned_by === 'string' ? { ownedBy: m.owned_by } : {}),
        }))
      : [];
  } catch (err) {
    throw classifyModelError(err, errorContextOf(config, opts.timeoutMs));
  }
}

/**
 * True when the list reads like llama-cpp-python's server (every model `owned_by: 'me'`, its
 * hard-coded value): its function-calling chat formats refuse a streamed request that offers
 * tools, and the server process has been seen to crash right after, so it is not probed with one.
 */
export function looksLikeLlamaCppPython(models: readonly ListedModel[]): boolean {
  return models.length > 0 && models.every((m) => m.ownedBy === 'me');
}

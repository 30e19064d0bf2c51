/**
 * `GET /models` with the configured key and base URL, as `clasper doctor` asks it: does the
 * endpoint answer, take the key, and list the configured models? Failures are classified like a
 * model call's (errors.ts), so callers tell them apart by ModelError type, never by message text.
 */
import { classifyModelError } from './errors';
import { buildOpenAiClient, errorContextOf, type LlmConfig } from './openai-client';

/** The ids the endpoint lists; empty when it answers without a list. */
export async function listModelIds(
  config: LlmConfig,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<string[]> {
  const client = buildOpenAiClient(config, opts.timeoutMs);
  try {
    const page = await client.models.list({ signal: opts.signal });
    return Array.isArray(page.data) ? page.data.map((m) => String(m.id)) : [];
  } catch (err) {
    throw classifyModelError(err, errorContextOf(config, opts.timeoutMs));
  }
}

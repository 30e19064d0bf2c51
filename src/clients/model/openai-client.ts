/**
 * The `openai` client as every model call builds it: explicit settings (never OPENAI_* read from
 * process.env behind config.ts's back), no retries of its own (Temporal's retry policy is the only
 * loop) and a bounded time per request.
 */
import OpenAI from 'openai';
import type { Config } from '../../config';
import type { ModelErrorContext } from './errors';

/** Where requests go when OPENAI_BASE_URL is not set. */
export const OPENAI_API_URL = 'https://api.openai.com/v1';

/** The openai client insists on a key; local OpenAI-compatible servers (Ollama, vLLM) ignore it. */
const PLACEHOLDER_API_KEY = 'not-needed';

export type LlmConfig = Config['llm'];

/** True when no model endpoint is configured: model calls then answer from the offline demo model. */
export function isDemoMode(config: LlmConfig): boolean {
  return !config.apiKey && !config.baseUrl;
}

/** The base URL requests go to: OPENAI_BASE_URL, or OpenAI's own. */
export function modelBaseUrl(config: LlmConfig): string {
  return config.baseUrl ?? OPENAI_API_URL;
}

export function buildOpenAiClient(config: LlmConfig, timeoutMs: number): OpenAI {
  return new OpenAI({
    apiKey: config.apiKey ?? PLACEHOLDER_API_KEY,
    // Explicit values everywhere: the client would otherwise read OPENAI_* from process.env itself,
    // and config.ts is the one place that reads the environment.
    baseURL: modelBaseUrl(config),
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    logLevel: 'warn',
    maxRetries: 0,
    timeout: timeoutMs,
  });
}

/** Only the origin goes into failures: a base URL's path or userinfo may carry a proxy secret. */
export function endpointOf(baseUrl: string | undefined): string | undefined {
  if (!baseUrl) return undefined;
  try {
    return new URL(baseUrl).origin;
  } catch {
    return undefined;
  }
}

/** What every failure of a call to this endpoint may say: the origin, the key to scrub, the timeout. */
export function errorContextOf(config: LlmConfig, timeoutMs: number): Omit<ModelErrorContext, 'model'> {
  return {
    endpoint: endpointOf(config.baseUrl),
    redact: config.apiKey ? [config.apiKey] : [],
    timeoutMs,
  };
}

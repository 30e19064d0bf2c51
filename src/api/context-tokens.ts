/**
 * The token side of GET /context: the system prompt and the tool schemas a turn offers, counted as
 * the model step counts them (src/clients/model/tokens.ts: js-tiktoken for OpenAI models, the
 * characters / 4 estimate otherwise, labelled), against the context window the runtime assumes.
 * The tools are the built-in ones; a backend's extra tools (listed per turn) would add to them.
 */
import { builtinToolSpecs } from '../clients/mission-control/tool-schemas';
import { displayModelName } from '../clients/model/call-model';
import type { LlmConfig } from '../clients/model/openai-client';
import { contextWindowOf } from '../clients/model/pricing';
import {
  describeTokenMethod,
  estimatePromptTokens,
  estimateToolTokens,
  type TokenMethod,
} from '../clients/model/tokens';

export interface ContextTokens {
  /** What results and the UI call the default model (LLM_MODEL_LABEL, else its name). */
  model: string;
  method: TokenMethod;
  methodDescription: string;
  systemPromptTokens: number;
  toolSchemas: number;
  toolTokens: number;
  /** The system message with its framing plus the tool schemas: the prompt before any conversation. */
  totalTokens: number;
  contextWindow: number;
  contextWindowSource: 'LLM_CONTEXT_WINDOW' | 'known model window';
  /** totalTokens as a percentage of contextWindow, one decimal. */
  windowPercent: number;
}

export function contextTokens(llm: LlmConfig, systemPrompt: string): ContextTokens {
  const tools = builtinToolSpecs();
  const prompt = estimatePromptTokens(llm.model, [{ role: 'system', content: systemPrompt }], tools);
  const toolTokens = estimateToolTokens(llm.model, tools).tokens;
  const window = llm.contextWindow ?? contextWindowOf(llm.model);
  return {
    model: llm.modelLabel ?? displayModelName(llm.model),
    method: prompt.method,
    methodDescription: describeTokenMethod(prompt.method),
    systemPromptTokens: prompt.tokens - toolTokens,
    toolSchemas: tools.length,
    toolTokens,
    totalTokens: prompt.tokens,
    contextWindow: window,
    contextWindowSource: llm.contextWindow !== undefined ? 'LLM_CONTEXT_WINDOW' : 'known model window',
    windowPercent: Math.round((prompt.tokens / window) * 1000) / 10,
  };
}

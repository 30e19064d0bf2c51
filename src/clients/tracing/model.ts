/**
 * The model call as a span, after OpenTelemetry's GenAI semantic conventions: `chat <model>` with
 * the requested and answering model, the tokens in and out and the finish reason. Neither the
 * messages nor the answer are recorded.
 */
import type { Attributes } from '@opentelemetry/api';
import type { CallModelInput } from '../../shared/types';
import type { ModelCallOptions, ModelClient } from '../model/call-model';
import { resolveModelName, streamsWhenAsked } from '../model/call-model';
import { DEMO_MODEL_NAME } from '../model/demo-model';
import { isDemoMode, modelBaseUrl, type LlmConfig } from '../model/openai-client';
import { inClientSpan, isTracing, serverAttributes } from './index';

/** `client`, with each call in a span when tracing is on; `client` itself when it is off. */
export function tracedModelClient(client: ModelClient, config: LlmConfig): ModelClient {
  if (!isTracing()) return client;
  const server = isDemoMode(config) ? {} : serverAttributes(modelBaseUrl(config));
  return {
    callModel(input: CallModelInput, opts?: ModelCallOptions) {
      const model = requestedModel(config, input.tier);
      const attributes: Attributes = {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': model,
        'clasper.model.tier': input.tier,
        // Asked as a stream, which a turn's step with tools is not under LLM_STREAM_WITH_TOOLS=false.
        'clasper.model.streamed': opts?.onText !== undefined && streamsWhenAsked(config, input),
        ...(opts?.attempt !== undefined ? { 'clasper.model.attempt': opts.attempt } : {}),
        ...server,
      };
      return inClientSpan(`chat ${model}`, attributes, async (span) => {
        const result = await client.callModel(input, opts);
        span?.setAttributes({
          'gen_ai.response.model': result.model,
          'gen_ai.usage.input_tokens': result.usage.prompt_tokens,
          'gen_ai.usage.output_tokens': result.usage.completion_tokens,
          ...(result.finishReason ? { 'gen_ai.response.finish_reasons': [result.finishReason] } : {}),
          'clasper.model.tool_calls': result.toolCalls.length,
          ...(result.cost !== null ? { 'clasper.model.cost_usd': result.cost } : {}),
        });
        return result;
      });
    },
  };
}

/** The name the request asks for; a tier without a model is left to the call to refuse. */
function requestedModel(config: LlmConfig, tier: CallModelInput['tier']): string {
  if (isDemoMode(config)) return DEMO_MODEL_NAME;
  try {
    return resolveModelName(config, tier);
  } catch {
    return tier;
  }
}

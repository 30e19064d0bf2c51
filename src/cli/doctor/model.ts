/**
 * Doctor: the model endpoint answers `GET /models` with our key and lists the configured models;
 * then real completions, as a turn makes them: one token (does the model answer at all?), a short
 * answer timed against LLM_REQUEST_TIMEOUT_SEC, a forced tool choice (does the server honour
 * `tools`, or silently drop them?), and the assembled prompt with every built-in tool against the
 * context window (counted here, and sent once with max_tokens 1 so the server itself says if it fits).
 */
import type { Config } from '../../config';
import { describeFailure, isFailureOfType } from '../../shared/failures';
import { ModelError, modelFailureDetails } from '../../clients/model/errors';
import { listModels, looksLikeLlamaCppPython, type ListedModel } from '../../clients/model/models';
import { isDemoMode, modelBaseUrl } from '../../clients/model/openai-client';
import { contextWindowOf } from '../../clients/model/pricing';
import { PROBE_TOOL, probeChat, type ProbeAnswer } from '../../clients/model/probe';
import { describeTokenMethod, estimatePromptTokens, tokenCounter } from '../../clients/model/tokens';
import { builtinToolSpecs } from '../../clients/mission-control/tool-schemas';
import { createWorkspace } from '../../clients/workspace';
import { DEFAULT_MODEL_TIMEOUT_SEC } from '../../clients/model/call-model';
import { notChecked, type DoctorCheck } from './check';

/** A short answer slower than this share of the request timeout leaves too little headroom for a real prompt. */
const SLOW_SHARE = 0.25;

export const TOOLS_IGNORED =
  'this server ignores tools — for llama.cpp start it with a function-calling chat format (e.g. --chat_format chatml-function-calling)';

export async function checkModel(
  config: Config,
  timeoutMs: number,
  env: Record<string, string | undefined> = {},
): Promise<DoctorCheck[]> {
  // Building tiktoken's table blocks the event loop for a second or more; done before any request,
  // so it never stalls between two of them (an idle keep-alive socket would be closed meanwhile).
  tokenCounter(config.llm.model).count('');
  const { check: listed, models } = await checkModelList(config, timeoutMs);
  if (isDemoMode(config.llm)) return [listed];
  if (listed.status === 'fail') {
    const why = 'model endpoint not usable';
    return [
      listed,
      notChecked('model answer', why),
      notChecked('model tools', why),
      notChecked('model streaming', why),
      notChecked('model context', why),
    ];
  }
  // Probes wait as long as a turn's request would: a local model on a CPU is slow, not broken.
  const probeTimeoutMs = (config.llm.requestTimeoutSec ?? DEFAULT_MODEL_TIMEOUT_SEC) * 1000;
  const answer = await checkAnswer(config, probeTimeoutMs);
  if (answer.status === 'fail') {
    const why = 'the model does not answer';
    return [
      listed,
      answer,
      notChecked('model tools', why),
      notChecked('model streaming', why),
      notChecked('model context', why),
    ];
  }
  const tools = await checkTools(config, probeTimeoutMs);
  const streaming = await checkStreamingTools(config, probeTimeoutMs, models);
  const context = await checkContext(config, probeTimeoutMs, env);
  return [listed, answer, tools, streaming, context];
}

async function checkAnswer(config: Config, timeoutMs: number): Promise<DoctorCheck> {
  const name = 'model answer';
  let one: ProbeAnswer;
  let short: ProbeAnswer;
  try {
    one = await probeChat(
      config.llm,
      { messages: [{ role: 'user', content: 'Say OK.' }], maxTokens: 1 },
      { timeoutMs },
    );
    short = await probeChat(
      config.llm,
      { messages: [{ role: 'user', content: 'In one short sentence: what is a task list?' }], maxTokens: 32 },
      { timeoutMs },
    );
  } catch (err) {
    return { name, status: 'fail', reason: `a one-token completion failed: ${describeFailure(err)}` };
  }
  const timeoutSec = timeoutMs / 1000;
  const timing = `one token in ${one.ms} ms; a short answer in ${(short.ms / 1000).toFixed(1)} s against LLM_REQUEST_TIMEOUT_SEC=${timeoutSec}`;
  if (short.ms > timeoutMs * SLOW_SHARE) {
    return {
      name,
      status: 'warn',
      reason: `${timing}: a full prompt with tools takes several times longer; raise LLM_REQUEST_TIMEOUT_SEC or use a faster server`,
    };
  }
  return { name, status: 'ok', reason: timing };
}

async function checkTools(config: Config, timeoutMs: number): Promise<DoctorCheck> {
  const name = 'model tools';
  let answer: ProbeAnswer;
  try {
    answer = await probeChat(
      config.llm,
      {
        messages: [{ role: 'user', content: 'Call the report_ready tool.' }],
        maxTokens: 64,
        tools: [PROBE_TOOL],
        forceTool: PROBE_TOOL.function.name,
      },
      { timeoutMs },
    );
  } catch (err) {
    return {
      name,
      status: 'fail',
      reason: `a request with a forced tool choice failed (${TOOLS_IGNORED}): ${describeFailure(err)}`,
    };
  }
  if (answer.toolCalls.includes(PROBE_TOOL.function.name))
    return { name, status: 'ok', reason: 'a forced tool choice came back as a tool call' };
  return {
    name,
    status: 'fail',
    reason: `a forced tool choice came back as ${answer.toolCalls.length > 0 ? `calls of ${answer.toolCalls.join(', ')}` : 'plain text'}: ${TOOLS_IGNORED}`,
  };
}

/**
 * Can the server stream an answer to a request that offers tools, as every streamed turn's steps
 * do? Asked for real only when it is both needed (LLM_STREAM_WITH_TOOLS on) and safe:
 * llama-cpp-python's server, recognised by its model list, refuses such a request and then
 * crashes, so it is told apart without one.
 */
async function checkStreamingTools(
  config: Config,
  timeoutMs: number,
  models: readonly ListedModel[],
): Promise<DoctorCheck> {
  const name = 'model streaming';
  if (config.llm.streamWithTools === false)
    return {
      name,
      status: 'ok',
      reason: 'LLM_STREAM_WITH_TOOLS=false: steps that offer tools are not streamed (not probed)',
    };
  if (looksLikeLlamaCppPython(models))
    return {
      name,
      status: 'fail',
      reason: `the server lists its models as llama-cpp-python's does (owned_by 'me'), and that server cannot stream a request that offers tools (it answers 500 and may crash; not probed): ${STREAM_TOOLS_OFF}`,
    };
  try {
    await probeChat(
      config.llm,
      { messages: [{ role: 'user', content: 'Say OK.' }], maxTokens: 8, tools: [PROBE_TOOL], stream: true },
      { timeoutMs },
    );
  } catch (err) {
    return {
      name,
      status: 'fail',
      reason: `a streamed request that offers a tool failed: ${describeFailure(err)}; if the server cannot stream with tools, ${STREAM_TOOLS_OFF}`,
    };
  }
  return { name, status: 'ok', reason: 'a streamed request that offers a tool was answered' };
}

export const STREAM_TOOLS_OFF =
  'set LLM_STREAM_WITH_TOOLS=false (streamed turns then show each step that offers tools when it is done)';

async function checkContext(
  config: Config,
  timeoutMs: number,
  env: Record<string, string | undefined>,
): Promise<DoctorCheck> {
  const name = 'model context';
  const { llm } = config;
  let systemPrompt: string;
  try {
    const workspace = createWorkspace({
      root: config.agent.workspace,
      env,
      includeTimeContext: config.agent.includeTimeContext,
    });
    systemPrompt = (await workspace.buildSystemPrompt({})).systemPrompt;
  } catch (err) {
    return notChecked(name, `the system prompt could not be built: ${describeFailure(err)}`);
  }
  const messages = [
    { role: 'system' as const, content: systemPrompt },
    { role: 'user' as const, content: 'Hello.' },
  ];
  const tools = builtinToolSpecs();
  const window = llm.contextWindow ?? contextWindowOf(llm.model);
  const source =
    llm.contextWindow !== undefined ? 'LLM_CONTEXT_WINDOW' : `the known window of '${llm.model}'`;
  const prompt = estimatePromptTokens(llm.model, messages, tools);
  const size = `the system prompt with ${tools.length} tool schemas takes about ${prompt.tokens} tokens (${describeTokenMethod(prompt.method)}) of ${window} (${source})`;
  if (prompt.tokens >= window) {
    return {
      name,
      status: 'fail',
      reason: `${size}: it cannot fit; raise the server's context and LLM_CONTEXT_WINDOW`,
    };
  }
  try {
    await probeChat(llm, { messages, tools, maxTokens: 1 }, { timeoutMs });
  } catch (err) {
    return {
      name,
      status: 'fail',
      reason: `${size}, but the server refused it: ${describeFailure(err)}; start the server with a larger context (llama.cpp: --n_ctx) and set LLM_CONTEXT_WINDOW to it`,
    };
  }
  const share = prompt.tokens / window;
  if (share > config.agent.contextWarningThreshold / 100) {
    return { name, status: 'warn', reason: `${size}: little room is left for the conversation` };
  }
  return { name, status: 'ok', reason: `${size}; the server accepted it` };
}

async function checkModelList(
  config: Config,
  timeoutMs: number,
): Promise<{ check: DoctorCheck; models: ListedModel[] }> {
  const { llm } = config;
  if (isDemoMode(llm)) {
    return {
      models: [],
      check: {
        name: 'model',
        status: 'warn',
        reason:
          'demo mode: neither OPENAI_API_KEY nor OPENAI_BASE_URL is set, so turns answer from the offline demo model (not checked over the network)',
      },
    };
  }
  const base = modelBaseUrl(llm);
  let models: ListedModel[];
  try {
    models = await listModels(llm, { timeoutMs });
  } catch (err) {
    return { models: [], check: failedCheck(err, base, llm.model) };
  }
  const ids = models.map((m) => m.id);
  const wanted = [llm.model, llm.fallbackModel, llm.cheapModel].filter((m): m is string => Boolean(m));
  const unlisted = ids.length > 0 ? wanted.filter((m) => !ids.includes(m)) : [];
  if (unlisted.length > 0) {
    const check: DoctorCheck = {
      name: 'model',
      status: 'warn',
      reason: `model endpoint ${base} reachable, but it does not list ${unlisted.map((m) => `'${m}'`).join(', ')} among its ${ids.length} models`,
    };
    return { models, check };
  }
  const check: DoctorCheck = {
    name: 'model',
    status: 'ok',
    reason: `model endpoint ${base} reachable; '${llm.model}' ${ids.length > 0 ? 'listed' : 'configured'}`,
  };
  return { models, check };
}

function failedCheck(err: unknown, base: string, model: string): DoctorCheck {
  const status = modelFailureDetails(err)?.status ?? null;
  if (isFailureOfType(err, ModelError.Network)) {
    return {
      name: 'model',
      status: 'fail',
      reason: `model endpoint ${base} not reachable: ${describeFailure(err)}`,
    };
  }
  if (isFailureOfType(err, ModelError.Unauthorized) || isFailureOfType(err, ModelError.Forbidden)) {
    return {
      name: 'model',
      status: 'fail',
      reason: `model endpoint ${base} rejected OPENAI_API_KEY (${status})`,
    };
  }
  if (isFailureOfType(err, ModelError.NotFound)) {
    return {
      name: 'model',
      status: 'warn',
      reason: `model endpoint ${base} is reachable but has no /models, so '${model}' could not be confirmed`,
    };
  }
  if (status !== null)
    return { name: 'model', status: 'fail', reason: `GET ${base}/models answered ${status}` };
  return { name: 'model', status: 'fail', reason: `GET ${base}/models failed: ${describeFailure(err)}` };
}

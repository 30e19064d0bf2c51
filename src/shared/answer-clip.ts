/**
 * Keeps a model answer small enough for workflow history. A model (or a misbehaving server) can
 * answer with thousands of tool calls or megabytes of arguments; the answer is the model
 * activity's result, and a result over Temporal's 2 MB payload limit fails the step on every
 * retry. The first calls that fit keep their arguments; later calls keep their id and name with
 * `{}` as arguments, so the conversation still pairs every call with a tool message, and the turn
 * refuses them with an error the model can read. Pure and workflow-safe.
 */
import { utf8Length } from './tool-result';
import type { AnswerClip, CallModelResult } from './types';

export const CLIPPED_ARGUMENTS = '{}';

export function clipAnswer(answer: CallModelResult, clip: AnswerClip | undefined): CallModelResult {
  if (!clip) return answer;
  let bytes = utf8Length(answer.content ?? '');
  let intact = 0;
  for (const call of answer.toolCalls) {
    const size = utf8Length(call.function.name) + utf8Length(call.function.arguments);
    if (intact >= clip.maxToolCalls || bytes + size > clip.maxBytes) break;
    bytes += size;
    intact += 1;
  }
  if (intact === answer.toolCalls.length) return answer;
  return {
    ...answer,
    toolCalls: answer.toolCalls.map((call, i) =>
      i < intact ? call : { ...call, function: { name: call.function.name, arguments: CLIPPED_ARGUMENTS } },
    ),
    intactToolCalls: intact,
  };
}

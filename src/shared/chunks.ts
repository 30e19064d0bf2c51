/**
 * Chunk granularity of an answer that was not streamed as the model wrote it (a turn started
 * without streaming, or a step whose streamed text did not survive): chunks of about a sentence,
 * at most CHUNK_MAX_CHARS characters, cut after whitespace where possible; joined, exactly the text.
 *
 * Workflow-safe: pure code, used by the turn's stream log and the API.
 */
export const CHUNK_MAX_CHARS = 80;

const SENTENCE_END = /[.!?]+["')\]]*\s+|\n+/g;

/** The answer as chunks of about a sentence, each at most `max` characters; joined, exactly `text`. */
export function splitIntoChunks(text: string, max = CHUNK_MAX_CHARS): string[] {
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    const cut = cutPoint(rest, max);
    chunks.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  return chunks;
}

function cutPoint(text: string, max: number): number {
  SENTENCE_END.lastIndex = 0;
  const sentence = SENTENCE_END.exec(text);
  if (sentence) {
    const end = sentence.index + sentence[0].length;
    if (end <= max) return end;
  }
  if (text.length <= max) return text.length;
  for (let i = max - 1; i > 0; i--) {
    if (/\s/.test(text.charAt(i))) return i + 1;
  }
  // One long word: cut it, but never between the two halves of a surrogate pair.
  const high = text.charCodeAt(max - 1);
  const cut = high >= 0xd800 && high <= 0xdbff ? max - 1 : max;
  return cut > 0 ? cut : Math.min(2, text.length);
}

/**
 * Caps what a tool feeds back to the model (docs/architecture.md, "History stays small"): every tool result
 * lands in workflow history and in the next prompt, so one huge list must not bloat either.
 * Pure and workflow-safe: no Node imports, UTF-8 lengths computed by hand.
 */

/** 16 KB per tool result: enough for a page of tasks, small against history and context limits. */
export const MAX_TOOL_RESULT_BYTES = 16 * 1024;

/** Bytes `text` takes as UTF-8 (lone surrogates count as U+FFFD, 3 bytes, as encoders write them). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) bytes += codePointBytes(ch.codePointAt(0) ?? 0);
  return bytes;
}

function codePointBytes(cp: number): number {
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp < 0x10000) return 3;
  return 4;
}

/**
 * Returns `text` unchanged when it fits in `maxBytes` of UTF-8; otherwise its longest prefix that
 * fits together with a visible `[truncated …]` note, cut between characters (never inside one),
 * so the model knows it saw only part and the result is still valid UTF-8.
 */
export function capToolResult(text: string, maxBytes: number = MAX_TOOL_RESULT_BYTES): string {
  const total = utf8Length(text);
  if (total <= maxBytes) return text;
  // The note's length depends on how much is kept; sizing it for the full total is an upper bound.
  const budget = Math.max(0, maxBytes - utf8Length(truncationNote(total, total)));
  let kept = 0;
  let end = 0;
  for (const ch of text) {
    const size = codePointBytes(ch.codePointAt(0) ?? 0);
    if (kept + size > budget) break;
    kept += size;
    end += ch.length;
  }
  return `${text.slice(0, end)}${truncationNote(kept, total)}`;
}

function truncationNote(keptBytes: number, totalBytes: number): string {
  return `\n[truncated: showing ${keptBytes} of ${totalBytes} bytes; ask for less, e.g. a smaller limit]`;
}

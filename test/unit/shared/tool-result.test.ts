import { capToolResult, MAX_TOOL_RESULT_BYTES, utf8Length } from '../../../src/shared/tool-result';

describe('capToolResult', () => {
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

  it('leaves results that fit untouched', () => {
    const text = 'x'.repeat(MAX_TOOL_RESULT_BYTES);
    expect(capToolResult(text)).toBe(text);
  });

  it.each([
    ['ascii', 'a'],
    ['two-byte', 'é'],
    ['three-byte', '€'],
    ['four-byte', '😀'],
  ])('cuts %s text on a character boundary within the limit, with a note', (_kind, ch) => {
    const text = ch.repeat(1000);
    const capped = capToolResult(text, 300);
    expect(bytes(capped)).toBeLessThanOrEqual(300);
    const [kept, note] = capped.split('\n[truncated');
    expect(note).toMatch(new RegExp(`^: showing ${bytes(kept!)} of ${bytes(text)} bytes`));
    expect(kept).toBe(ch.repeat(kept!.length / ch.length)); // whole characters only
    expect(kept!.length).toBeGreaterThan(0);
  });

  it('counts UTF-8 bytes like Node does, lone surrogates included', () => {
    for (const s of ['', 'abc', 'é€😀', '\uD800x', 'x\uDFFF']) expect(utf8Length(s)).toBe(bytes(s));
  });
});

import {
  DEFAULT_CONTEXT_WINDOW,
  contextWindowOf,
  costOf,
  priceOf,
} from '../../../../src/clients/model/pricing';

describe('pricing', () => {
  const usage = { prompt_tokens: 1_000_000, completion_tokens: 1_000_000 };

  it.each([
    ['gpt-4o', 12.5],
    ['gpt-4o-mini', 0.75],
    ['gpt-4.1', 10],
    ['gpt-4.1-mini', 2],
    ['gpt-4.1-nano', 0.5],
    ['o3', 10],
    ['o3-mini', 5.5],
    ['o4-mini', 5.5],
    ['gpt-5', 11.25],
    ['gpt-5-mini', 2.25],
    ['gpt-5-nano', 0.45],
  ])('prices %s (1M in + 1M out = $%s)', (model, usd) => {
    expect(costOf(model, usage)).toBeCloseTo(usd, 6);
  });

  it('prices a dated snapshot like its alias', () => {
    expect(priceOf('gpt-4o-mini-2024-07-18')).toEqual(priceOf('gpt-4o-mini'));
    expect(priceOf('gpt-5-2025-08-07')).toEqual(priceOf('gpt-5'));
  });

  it('keeps an explicitly listed snapshot its own price', () => {
    expect(priceOf('gpt-4o-2024-05-13')).toEqual({ input: 5, output: 15 });
  });

  it('does not guess for unknown or merely similar names', () => {
    for (const model of [
      'llama3',
      'gpt-4o-mini-search-preview',
      'openai/gpt-4o-mini',
      'GPT-4O',
      'gpt-4o-mini-2024',
      'clasper-demo',
    ]) {
      expect(costOf(model, usage)).toBeNull();
    }
  });

  it('rounds to 6 decimals', () => {
    // 123 × 0.15 + 45 × 0.6 = 45.45 per 1M → 0.00004545 → 0.000045
    expect(costOf('gpt-4o-mini', { prompt_tokens: 123, completion_tokens: 45 })).toBe(0.000045);
    expect(costOf('gpt-4o-mini', { prompt_tokens: 0, completion_tokens: 0 })).toBe(0);
  });

  it('knows context windows and assumes 128k for unknown models', () => {
    expect(contextWindowOf('gpt-4o-mini')).toBe(128_000);
    expect(contextWindowOf('gpt-4.1-2025-04-14')).toBe(1_047_576);
    expect(contextWindowOf('o3')).toBe(200_000);
    expect(contextWindowOf('gpt-5-mini')).toBe(400_000);
    expect(contextWindowOf('llama3')).toBe(DEFAULT_CONTEXT_WINDOW);
    expect(DEFAULT_CONTEXT_WINDOW).toBe(128_000);
  });
});

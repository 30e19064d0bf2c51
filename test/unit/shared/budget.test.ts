import {
  applyCharge,
  budgetStatus,
  EMPTY_BUDGET_STATE,
  nextBudgetDay,
  secondsUntilNextBudgetDay,
} from '../../../src/shared/budget';

const NOON = new Date('2026-12-03T12:00:00Z');
const OFF = { tokens_per_day: 0, usd_per_day: 0 };

describe('budgets (pure parts)', () => {
  it('a charge adds to today and a new UTC day starts from zero', () => {
    const a = applyCharge(EMPTY_BUDGET_STATE, { tokens: 100, micros: 5 }, NOON);
    const b = applyCharge(a, { tokens: 50, micros: -1 }, new Date('2026-12-03T23:59:59Z'));
    expect(b).toEqual({ day: '2026-12-03', tokens: 150, micros: 5 });
    expect(applyCharge(b, { tokens: 7, micros: 1 }, new Date('2026-12-04T00:00:00Z'))).toEqual({
      day: '2026-12-04',
      tokens: 7,
      micros: 1,
    });
  });

  it('exhausted at the limit, with the readable reason; yesterday does not count', () => {
    const state = { day: '2026-12-03', tokens: 1_000_000, micros: 0 };
    const status = budgetStatus('u1', state, { tokens_per_day: 1_000_000, usd_per_day: 0 }, NOON);
    expect(status).toMatchObject({
      source: 'default',
      remaining_tokens: 0,
      remaining_usd: null,
      resets_at: '2026-12-04T00:00:00.000Z',
      exhausted: 'budget exhausted: 1,000,000 of 1,000,000 tokens used today',
    });
    const tomorrow = budgetStatus(
      'u1',
      state,
      { tokens_per_day: 1_000_000, usd_per_day: 0 },
      nextBudgetDay(NOON),
    );
    expect(tomorrow).toMatchObject({ used_tokens_today: 0, remaining_tokens: 1_000_000 });
    expect(tomorrow.exhausted).toBeUndefined();
  });

  it('an override wins field by field over the defaults, and 0 turns a limit off', () => {
    const state = { override: { usd_per_day: 5 }, day: '2026-12-03', tokens: 10, micros: 5_000_000 };
    expect(budgetStatus('u1', state, { tokens_per_day: 1000, usd_per_day: 1 }, NOON)).toMatchObject({
      source: 'override',
      tokens_per_day: 1000,
      usd_per_day: 5,
      exhausted: 'budget exhausted: $5.00 of $5.00 used today',
    });
    const off = budgetStatus('u1', { ...state, override: { tokens_per_day: 0, usd_per_day: 0 } }, OFF, NOON);
    expect(off.exhausted).toBeUndefined();
    expect(off).toMatchObject({ remaining_tokens: null, remaining_usd: null });
  });

  it('Retry-After counts to the next UTC midnight, never 0', () => {
    expect(secondsUntilNextBudgetDay(NOON)).toBe(12 * 3600);
    expect(secondsUntilNextBudgetDay(new Date('2026-12-03T23:59:59.999Z'))).toBe(1);
  });
});

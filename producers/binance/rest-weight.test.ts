import { describe, expect, it } from 'vitest';
import { RequestWeightBudget } from './rest-weight.ts';

describe('RequestWeightBudget', () => {
  it('spends up to the limit in a minute, then waits for the next minute', () => {
    let now = 120_000 + 10_000; // 10 s into a minute
    const budget = new RequestWeightBudget(10, () => now);
    expect(budget.delayFor(4)).toBe(0);
    budget.spend(4);
    budget.spend(4);
    expect(budget.delayFor(2)).toBe(0);
    expect(budget.delayFor(4)).toBe(50_005);
    now = 180_000;
    expect(budget.delayFor(4)).toBe(0);
    expect(budget.usedThisMinute).toBe(0);
  });

  it('believes the server count and blocks during a Retry-After', () => {
    let now = 0;
    const budget = new RequestWeightBudget(6000, () => now);
    budget.observeUsed(5_999);
    expect(budget.delayFor(2)).toBe(60_005);
    now = 60_000;
    budget.blockFor(3_000);
    expect(budget.delayFor(1)).toBe(3_000);
    now = 63_000;
    expect(budget.delayFor(1)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { fromScaled, isDecimalString, multiplyDecimals, normalizeDecimal, toScaled } from './decimal.ts';

describe('decimal strings', () => {
  it('validates exchange-style decimals', () => {
    expect(isDecimalString('4261.48000000')).toBe(true);
    expect(isDecimalString('0.075183')).toBe(true);
    expect(isDecimalString('1e5')).toBe(false);
    expect(isDecimalString('-1')).toBe(false);
    expect(isDecimalString('01.5')).toBe(false);
    expect(isDecimalString('')).toBe(false);
  });

  it('scales exactly and back', () => {
    expect(toScaled('4261.48', 8)).toBe(426148000000n);
    expect(fromScaled(426148000000n, 8)).toBe('4261.48000000');
    expect(fromScaled(5n, 8)).toBe('0.00000005');
    expect(() => toScaled('0.123456789', 8)).toThrow(/more than 8/);
    expect(toScaled('0.1234567800', 8)).toBe(12345678n);
  });

  it('multiplies without rounding (the quote quantity of a trade)', () => {
    expect(multiplyDecimals('4261.48', '0.075183')).toBe('320.39085084');
    expect(multiplyDecimals('45000.07', '1.02561')).toBe('46152.5217927');
    expect(normalizeDecimal('46152.52179270')).toBe('46152.5217927');
    expect(normalizeDecimal('1.000')).toBe('1');
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { numberToDecimalString } from './json-number.ts';

describe('numberToDecimalString', () => {
  it('keeps the digits an API printed', () => {
    expect(numberToDecimalString(18109.977835707818)).toBe('18109.977835707818');
    expect(numberToDecimalString(36685)).toBe('36685');
    expect(numberToDecimalString(0.00000912)).toBe('0.00000912');
  });

  it('expands exponent notation', () => {
    expect(numberToDecimalString(1e-7)).toBe('0.0000001');
    expect(numberToDecimalString(1.234e-9)).toBe('0.000000001234');
    expect(numberToDecimalString(1.5e21)).toBe('1500000000000000000000');
    expect(numberToDecimalString(-2.5e-8)).toBe('-0.000000025');
  });

  it('reads back to the same double for any finite number', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = numberToDecimalString(x);
        expect(s).toMatch(/^-?\d+(\.\d+)?$/);
        expect(Number(s)).toBe(x === 0 ? 0 : x);
      }),
    );
  });

  it('rejects NaN and infinities', () => {
    expect(() => numberToDecimalString(Number.NaN)).toThrow(RangeError);
    expect(() => numberToDecimalString(Infinity)).toThrow(RangeError);
  });
});

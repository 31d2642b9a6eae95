/**
 * Exact fixed-point numbers for the candle hot path. A decimal string becomes an integer scaled
 * by 10^scale. Almost every price and quantity fits a JS number exactly (≤ 2^53 − 1), so the hot
 * path stays in plain numbers and only falls back to BigInt for the rare value (or running sum)
 * that does not fit: JS compares number and bigint exactly, so mixed values still order right.
 */

export type Scaled = number | bigint;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export class DecimalFormatError extends RangeError {
  constructor(value: string, why: string) {
    super(`${JSON.stringify(value)}: ${why}`);
    this.name = 'DecimalFormatError';
  }
}

/**
 * Parses a non-negative decimal string into an integer scaled by 10^scale, exactly. Throws when
 * it is not a decimal literal or carries significant digits beyond `scale` (never rounds).
 */
export function parseScaled(value: string, scale: number): Scaled {
  return parseDual(value, scale, scale);
}

/**
 * Two-scale parse for quote quantities, stored with 16 places but nearly always printed with 8:
 * a number scaled by 10^fastScale when the value has at most `fastScale` significant decimals
 * and fits, else a bigint scaled by 10^scale. The type tells the scale (see SplitSum).
 */
export function parseDual(value: string, fastScale: number, scale: number): Scaled {
  const n = value.length;
  if (n === 0) throw new DecimalFormatError(value, 'empty');
  let v = 0;
  let i = 0;
  let c = 0;
  let intDigits = 0;
  for (; i < n; i++) {
    c = value.charCodeAt(i);
    if (c === 46) break;
    const d = c - 48;
    if (d < 0 || d > 9) throw new DecimalFormatError(value, 'not a decimal number');
    v = v * 10 + d;
    intDigits++;
  }
  if (intDigits === 0) throw new DecimalFormatError(value, 'not a decimal number');
  let frac = 0;
  if (i < n) {
    i++;
    if (i === n) throw new DecimalFormatError(value, 'not a decimal number');
    for (; i < n; i++) {
      const d = value.charCodeAt(i) - 48;
      if (d < 0 || d > 9) throw new DecimalFormatError(value, 'not a decimal number');
      if (frac < fastScale) {
        v = v * 10 + d;
        frac++;
      } else if (d !== 0) {
        if (fastScale === scale) throw new DecimalFormatError(value, `more than ${scale} decimal places`);
        return parseScaledBig(value, scale);
      }
    }
  }
  for (; frac < fastScale; frac++) v *= 10;
  // Every intermediate is exact while the final value is ≤ 2^53 − 1 (the sequence only grows).
  if (v <= MAX_SAFE) return v;
  return parseScaledBig(value, scale);
}

function parseScaledBig(value: string, scale: number): bigint {
  const dot = value.indexOf('.');
  const whole = dot < 0 ? value : value.slice(0, dot);
  const frac = dot < 0 ? '' : value.slice(dot + 1);
  if (/[^0]/.test(frac.slice(scale))) throw new DecimalFormatError(value, `more than ${scale} decimal places`);
  return BigInt(whole + frac.slice(0, scale).padEnd(scale, '0'));
}

/** Formats a scaled integer as a decimal string with exactly `scale` places ("4261.48000000"). */
export function formatScaled(value: Scaled, scale: number): string {
  const big = typeof value === 'bigint' ? value : BigInt(value);
  const negative = big < 0n;
  const digits = (negative ? -big : big).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${digits.slice(digits.length - scale)}` : ''}`;
}

/**
 * An exact running sum: a number while it fits, spilling into a BigInt part when it would not.
 * Numbers are at the fast scale and bigints at the full scale; `factor` = 10^(full − fast)
 * converts (1n when both scales are the same).
 */
export interface SplitSum {
  small: number;
  big: bigint;
  readonly factor: bigint;
}

export function newSum(factor = 1n): SplitSum {
  return { small: 0, big: 0n, factor };
}

export function addToSum(sum: SplitSum, x: Scaled): void {
  if (typeof x === 'number') {
    const s = sum.small + x;
    // If the exact sum exceeds 2^53 − 1 the rounded float is ≥ 2^53, so this test is exact.
    if (s <= MAX_SAFE) {
      sum.small = s;
      return;
    }
    sum.big += (BigInt(sum.small) + BigInt(x)) * sum.factor;
    sum.small = 0;
    return;
  }
  sum.big += x;
}

export function mergeSum(into: SplitSum, from: SplitSum): void {
  addToSum(into, from.small);
  into.big += from.big;
}

/** The sum at the full scale. */
export function sumValue(sum: SplitSum): bigint {
  return sum.big + BigInt(sum.small) * sum.factor;
}

/** numerator / denominator at `scale` places, exact, rounded half-up (both non-negative). */
export function divideRounded(numerator: bigint, denominator: bigint, numeratorScale: number, denominatorScale: number, scale: number): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  // value = (n / 10^ns) / (d / 10^ds); scaled result = n * 10^(scale + ds - ns) / d
  const shift = scale + denominatorScale - numeratorScale;
  let n = numerator;
  let d = denominator;
  if (shift >= 0) n *= 10n ** BigInt(shift);
  else d *= 10n ** BigInt(-shift);
  const q = n / d;
  const r = n - q * d;
  return r * 2n >= d ? q + 1n : q;
}

/** Exact comparison of two scaled values (number and bigint may be mixed). */
export function maxScaled(a: Scaled, b: Scaled): Scaled {
  return a >= b ? a : b;
}
export function minScaled(a: Scaled, b: Scaled): Scaled {
  return a <= b ? a : b;
}

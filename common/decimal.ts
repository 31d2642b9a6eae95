/**
 * Exact decimal strings. Prices and quantities travel as strings ("4261.48000000") and are never
 * parsed into floats; these helpers validate them and do the little exact arithmetic the
 * pipeline needs (price × qty for quote quantities) with BigInt.
 */

/** A non-negative decimal literal as exchanges print it: digits, optionally a point and digits. */
export const DECIMAL_PATTERN = /^(0|[1-9]\d*)(\.\d+)?$/;

export function isDecimalString(value: string): boolean {
  return DECIMAL_PATTERN.test(value);
}

/** Parses a decimal string into an integer scaled by 10^scale; throws if it has more digits. */
export function toScaled(value: string, scale: number): bigint {
  if (!DECIMAL_PATTERN.test(value)) throw new RangeError(`not a decimal number: ${JSON.stringify(value)}`);
  const [whole, frac = ''] = value.split('.');
  const trimmed = frac.replace(/0+$/, '');
  if (trimmed.length > scale) throw new RangeError(`${value} has more than ${scale} decimal places`);
  return BigInt(whole + frac.padEnd(scale, '0').slice(0, scale));
}

/** Formats an integer scaled by 10^scale as a decimal string with exactly `scale` places. */
export function fromScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${frac}` : ''}`;
}

function decimalPlaces(value: string): number {
  const i = value.indexOf('.');
  return i < 0 ? 0 : value.length - i - 1;
}

/** Exact product of two decimal strings, with the sum of their decimal places (no rounding). */
export function multiplyDecimals(a: string, b: string): string {
  const sa = decimalPlaces(a);
  const sb = decimalPlaces(b);
  return fromScaled(toScaled(a, sa) * toScaled(b, sb), sa + sb);
}

/** Removes trailing fractional zeros: "4261.48000000" → "4261.48", "1.000" → "1". */
export function normalizeDecimal(value: string): string {
  if (!value.includes('.')) return value;
  return value.replace(/0+$/, '').replace(/\.$/, '');
}

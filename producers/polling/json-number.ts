/**
 * JSON APIs such as CoinGecko send prices as JSON numbers (`18109.977835707818`). JavaScript
 * prints a double as the shortest string that reads back to the same double, which is the
 * digits the API printed; this turns that into a plain decimal string (no exponent) so that the
 * value travels exactly as received instead of being re-rounded anywhere downstream.
 */
export function numberToDecimalString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, whole, frac = '', expText] = match;
  const exp = Number(expText);
  const digits = whole + frac;
  const point = whole.length + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + out.replace(/^0+(?=\d)/, '');
}

/**
 * fma(a, b, c): a × b + c rounded once, as C++'s std::fma computes it (JavaScript has no fused
 * multiply-add), for reproducing DuckDB's arithmetic to the bit (window-stats.ts). Boldo and
 * Melquiond's emulation ("Emulation of FMA and correctly rounded sums: proved algorithms using
 * rounding to odd", 2008): the exact product as two doubles (Veltkamp/Dekker), an exact sum with c,
 * the two low parts added with rounding to odd, then one rounding to nearest. Exact for operands
 * whose product neither overflows nor underflows (the split's own range).
 */
const SPLITTER = 134_217_729; // 2^27 + 1
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

/** The rounding error of s = a + b (Knuth's TwoSum): a + b = s + error exactly. */
function sumError(a: number, b: number, s: number): number {
  const bb = s - a;
  return a - (s - bb) + (b - bb);
}

/** The low part of a × b (Dekker's TwoProduct): a × b = p + low exactly, p = a × b rounded. */
function productError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** x moved one unit in the last place toward the sign of `direction` (x finite). */
function nextToward(x: number, direction: number): number {
  if (x === 0) return direction > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  bits[0] = x;
  let lo = words[0];
  let hi = words[1];
  if (x > 0 === direction > 0) {
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) >>> 0;
  } else {
    if (lo === 0) hi = (hi - 1) >>> 0;
    lo = (lo - 1) >>> 0;
  }
  words[0] = lo;
  words[1] = hi;
  return bits[0];
}

/** a + b rounded to odd: exact, or the neighbour whose last mantissa bit is 1. */
function addRoundToOdd(a: number, b: number): number {
  const s = a + b;
  const error = sumError(a, b, s);
  if (error === 0) return s;
  bits[0] = s;
  return (words[0] & 1) === 1 ? s : nextToward(s, error);
}

export function fma(a: number, b: number, c: number): number {
  const high = a * b;
  const low = productError(a, b, high);
  const th = c + high;
  const tl = sumError(c, high, th);
  return th + addRoundToOdd(tl, low);
}

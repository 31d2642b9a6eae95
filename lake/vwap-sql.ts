/**
 * Silver's vwap in SQL, exactly: quote_volume / volume rounded half-up to 16 places (volumes have
 * 8 places, quote volumes 16), NULL when the volume is 0. DuckDB divides DECIMALs as doubles, so
 * the exact quotient needs integer arithmetic, and its HUGEINT division is slow (a loop over the
 * 128 bits: ~25 µs a row, which dominated a year's backfill). So the quotient is estimated from
 * doubles, corrected once by the exact residual, and then checked exactly with two DECIMAL
 * products (vwapMatchesSql); only a row the check rejects (not one in a year of BTCUSDT, but
 * possible near ties or beyond the products' range) takes the HUGEINT division. The result is
 * the exact one on every row either way (lake/vwap-sql.test.ts compares it with BigInt).
 */

const UNIT = '0.0000000000000001::DECIMAL(38,16)';

function powerOfTen(n: number): string {
  return `${'1' + '0'.repeat(n)}::HUGEINT`;
}

/** A non-negative DECIMAL expression as the exact HUGEINT `value × 10^scale`. */
function scaledIntSql(expr: string, scale: number): string {
  return `(trunc(${expr})::HUGEINT * ${powerOfTen(scale)} + (((${expr}) - trunc(${expr})) * ${powerOfTen(scale)})::HUGEINT)`;
}

/** The HUGEINT `scaled` (value × 10^scale) back as an exact DECIMAL(38,scale). */
function fromScaledIntSql(expr: string, scale: number): string {
  const unit = `0.${'0'.repeat(scale - 1)}1::DECIMAL(38,${scale})`;
  const p = powerOfTen(scale);
  return `((${expr}) // ${p})::DECIMAL(38,${scale}) + ((${expr}) % ${p})::DECIMAL(38,0) * ${unit}`;
}

/**
 * The exact vwap by HUGEINT division (slow; the fallback of vwapSql): with V = volume·10⁸,
 * quote·10¹⁶ = a·V + b, vwap·10¹⁶ = a·10⁸ + round(b·10⁸ / V) (split so that no product leaves 128 bits).
 */
function vwapByDivisionSql(quoteVolume: string, volume: string): string {
  const q = scaledIntSql(quoteVolume, 16);
  const v = scaledIntSql(volume, 8);
  return fromScaledIntSql(`(${q} // ${v}) * 100000000 + (2 * (${q} % ${v}) * 100000000 + ${v}) // (2 * ${v})`, 16);
}

/**
 * Whether `vwap` is exactly quote / volume rounded half-up to 16 places, without dividing:
 * (vwap − ½·10⁻¹⁶)·volume ≤ quote < (vwap + ½·10⁻¹⁶)·volume, in DECIMAL arithmetic (exact;
 * products up to 10¹³ per window). NULL vwap iff no volume.
 */
export function vwapMatchesSql(vwap: string, quoteVolume: string, volume: string): string {
  const half = '0.00000000000000005';
  return `CASE WHEN (${volume}) = 0 THEN (${vwap}) IS NULL ELSE (${vwap}) IS NOT NULL
    AND ((${vwap})::DECIMAL(38,17) - ${half}) * (${volume}) <= (${quoteVolume}) AND (${quoteVolume}) < ((${vwap})::DECIMAL(38,17) + ${half}) * (${volume}) END`;
}

/** Double approximations of the two inputs (cheap to have where the decimals come from text). */
export interface VwapEstimate {
  readonly quoteVolume: string;
  readonly volume: string;
}

/**
 * VWAP exactly as silver stores it, as an SQL expression over two DECIMAL expressions (each is
 * repeated in the result, so pass column names or cheap expressions). Non-negative inputs.
 * `estimate`: doubles of the same values (e.g. parsed from the source text, or summed), which
 * spare the conversion of a wide DECIMAL to DOUBLE (a HUGEINT division in DuckDB); any
 * approximation gives the exact result, a worse one only takes the slow path more often.
 */
export function vwapSql(quoteVolume: string, volume: string, estimate?: VwapEstimate): string {
  const q = `(${quoteVolume})`;
  const v = `(${volume})`;
  const qd = estimate ? `(${estimate.quoteVolume})::DOUBLE` : `${q}::DOUBLE`;
  const vd = estimate ? `(${estimate.volume})::DOUBLE` : `${v}::DOUBLE`;
  // c: the estimate on 16 places; the residual q − c·v is exact (scale 24) and small, so its
  // quotient by v in doubles moves c onto the right unit. The exact check decides; anything
  // out of range on the way (a poor estimate, a huge window) is NULL under try() and takes the division.
  const corrected = `list_transform([try_cast(${qd} / ${vd} AS DECIMAL(38,16))], c -> try(c + round((${q} - c * ${v})::DOUBLE / ${vd} * 1e16)::BIGINT::DECIMAL(18,0) * ${UNIT}))[1]`;
  const checked = `list_transform([${corrected}], r -> CASE WHEN try(${vwapMatchesSql('r', q, v)}) THEN r ELSE ${vwapByDivisionSql(q, v)} END)[1]`;
  return `CASE WHEN ${v} = 0 THEN NULL ELSE ${checked} END`;
}

/** The value columns of a candle, compared column by column by the consistency checks. */
export const CANDLE_VALUE_COLUMNS = [
  'window_end',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'quote_volume',
  'vwap',
  'trade_count',
  'taker_buy_volume',
  'taker_buy_quote_volume',
  'first_trade_id',
  'last_trade_id',
] as const;

/**
 * SQL: the names of the columns where `a` and `b` differ (NULLs compare equal), as a list;
 * `differs` replaces the comparison of a column by another condition (e.g. an exact VWAP test).
 */
export function differingColumnsSql(a: string, b: string, differs: Partial<Record<(typeof CANDLE_VALUE_COLUMNS)[number], string>> = {}): string {
  const items = CANDLE_VALUE_COLUMNS.map((c) => `CASE WHEN ${differs[c] ?? `${a}."${c}" IS DISTINCT FROM ${b}."${c}"`} THEN '${c}' END`);
  return `list_filter([${items.join(', ')}], x -> x IS NOT NULL)`;
}

/** SQL: the candle's value columns of `alias` as one struct (a failing row shows both sides in full). */
export function candleStructSql(alias: string): string {
  return `CASE WHEN ${alias}.window_start IS NULL THEN NULL ELSE struct_pack(${CANDLE_VALUE_COLUMNS.map((c) => `"${c}" := ${alias}."${c}"`).join(', ')}) END`;
}

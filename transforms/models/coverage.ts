/**
 * `gold/coverage` (SQL): the ledger of what the lake holds, per exchange × symbol × UTC day ×
 * layer. `silver`: 1m candles present out of the minutes expected (1,440 for a past day, the
 * minutes elapsed so far today), minutes with a candle but no trades (`quiet_minutes`: the market
 * was quiet) apart from minutes without a candle (`missing_minutes`: our gap, what the backfill's
 * `missing` mode repairs), candles revised after they were final (`late_revisions`). `bronze`:
 * minutes with at least one trade (bronze cannot tell a quiet minute from a gap: those two stay
 * NULL). `sources`: the bronze sources that delivered the day's trades. The silver layer's
 * numbers are silver-coverage.ts's, the definition the backfill's `missing` mode plans from.
 *
 * A gap longer than a day (the stream records it as missing rather than filling it: a broker
 * down for days, a source that stopped) leaves whole days without any silver row. Those days of a
 * symbol's history, between its first and latest day, get a silver row with every minute missing,
 * so the ledger names them. No input partition of theirs ever changes, so an incremental build
 * adds them when the first day after the gap arrives (`affected`).
 */
import { queryJson, sqlLiteral, type TableDefinition } from '../../lake/index.ts';
import type { BuildContext, Model } from '../model.ts';
import { MONTH_COLUMN, filesHolding, monthColumn } from '../month-partitions.ts';
import { addDays, datesBetween, dedupePartitions, inputRangeSql, type Partition, type PartitionSet } from '../partitions.ts';
import { createSilverMinuteCoverage, minutesExpectedSql, silverMinuteCoverageSql } from '../silver-coverage.ts';

export const GOLD_COVERAGE: TableDefinition = {
  name: 'gold/coverage',
  description: 'Per exchange, symbol, day and layer: minutes expected, present, quiet and missing; late revisions; sources.',
  columns: [
    { name: 'exchange', type: 'string', nullable: false },
    { name: 'symbol', type: 'string', nullable: false },
    { name: 'date', type: 'date', nullable: false },
    { name: 'layer', type: 'string', nullable: false, comment: 'silver (1m candles) | bronze (trades)' },
    { name: 'minutes_expected', type: 'long', nullable: false },
    { name: 'candles_present', type: 'long', nullable: false, comment: 'silver: 1m candles; bronze: minutes with trades' },
    { name: 'quiet_minutes', type: 'long', comment: 'silver: candles without trades (volume 0)' },
    { name: 'missing_minutes', type: 'long', comment: 'silver: expected minutes without a candle' },
    { name: 'late_revisions', type: 'long', comment: 'silver: revisions of candles that were already final' },
    { name: 'sources', type: 'string', comment: 'comma-separated bronze sources of the day (ws, rest, archive, simulator)' },
    { name: 'last_updated', type: 'timestamp', comment: 'silver: latest finalized_at; bronze: latest received_at' },
    monthColumn(),
  ],
  // A file a month: a day holds few rows (month-partitions.ts).
  partitionColumns: ['symbol', MONTH_COLUMN],
};

export const coverageModel: Model = {
  name: 'coverage',
  description: 'symbol x day x layer ledger: expected, present, quiet and missing minutes, late revisions',
  inputs: ['silver/candles', 'bronze/trades'],
  output: GOLD_COVERAGE,
  materialization: 'partitions',
  lookbackDays: 0,
  async affected(changed, { conn, filesOf, filesRelation }) {
    if (changed === 'all' || changed.some((p) => !p.symbol || !p.date)) return 'all';
    const out: Partition[] = changed.map((p) => ({ symbol: p.symbol, date: p.date }));
    const first = new Map<string, string>();
    for (const p of changed) if (!first.has(p.symbol) || p.date < first.get(p.symbol)!) first.set(p.symbol, p.date);
    for (const [symbol, date] of first) {
      // The days since the ledger's previous day of the symbol, when a gap lies between. The
      // usual case, the ledger has the day before, reads one partition; only then all earlier ones.
      // (Read from the files whose days, by their statistics, may hold it: the view's every file
      // cost ~5 ms to open.)
      const sym = sqlLiteral(symbol);
      const before = addDays(date, -1);
      const files = filesHolding(filesOf(GOLD_COVERAGE.name), [{ symbol, date: before }]);
      const dayBefore = files.length ? await queryJson(conn, `SELECT 1 FROM ${filesRelation(GOLD_COVERAGE.name, files)} WHERE symbol = ${sym} AND "date" = DATE ${sqlLiteral(before)} LIMIT 1`) : [];
      if (dayBefore.length > 0) continue;
      const [prev] = await queryJson(conn, `SELECT CAST(max("date") AS VARCHAR) AS d FROM gold_coverage WHERE symbol = ${sym} AND layer = 'silver' AND "date" < DATE ${sqlLiteral(date)}`);
      if (prev?.d) for (const d of datesBetween(addDays(String(prev.d), 1), addDays(date, -1))) out.push({ symbol, date: d });
    }
    return dedupePartitions(out);
  },
  async build(ctx, into) {
    const revisions = daysRelation(ctx, 'silver/candles', 'silver_candles_all_revisions');
    if (ctx.partitions !== 'all') {
      // A run of some days groups their revisions by minute in the ledger's own statement: the
      // statements createSilverMinuteCoverage adds would cost it more than they save.
      const silver = silverMinuteCoverageSql(inputRangeSql(ctx.partitions, 0), ctx.nowUs, revisions);
      await ctx.conn.run(`CREATE OR REPLACE TABLE ${into} AS WITH silver AS MATERIALIZED (${silver}), ${ledgerCtes(ctx, 'silver')}`);
      return;
    }
    const silver = `${into}_silver`;
    await createSilverMinuteCoverage(ctx.conn, silver, inputRangeSql(ctx.partitions, 0), ctx.nowUs, revisions);
    try {
      await ctx.conn.run(`CREATE OR REPLACE TABLE ${into} AS WITH ${ledgerCtes(ctx, silver)}`);
    } finally {
      await ctx.conn.run(`DROP TABLE IF EXISTS ${silver}`);
    }
  },
  tests: [
    { kind: 'unique', columns: ['exchange', 'symbol', 'date', 'layer'] },
    { kind: 'not_null', columns: ['exchange', 'symbol', 'date', 'layer', 'minutes_expected', 'candles_present'] },
    { kind: 'accepted_values', column: 'layer', values: ['silver', 'bronze'] },
    { kind: 'sql', name: 'present_within_expected', sql: `SELECT * FROM {{ this }} WHERE layer = 'silver' AND minutes_expected > 0 AND candles_present + missing_minutes < minutes_expected` },
    { kind: 'sql', name: 'quiet_within_present', sql: `SELECT * FROM {{ this }} WHERE quiet_minutes > candles_present` },
  ],
};

/** The ledger's rows from `silver` (silverMinuteCoverageSql's rows), after the WITH of its own CTEs. */
function ledgerCtes(ctx: BuildContext, silver: string): string {
  const range = inputRangeSql(ctx.partitions, 0);
  const expected = minutesExpectedSql('"date"', ctx.nowUs);
  return `gap_days AS (
  -- Days of a symbol's history without any 1m candle: every expected minute missing.
  ${gapDaysSql(ctx.partitions, silver)}
  EXCEPT SELECT exchange, symbol, "date" FROM ${silver}
), bronze AS (
  SELECT exchange, symbol, "date", count(DISTINCT epoch_us(trade_time) // 60000000) AS minutes, string_agg(DISTINCT source, ',' ORDER BY source) AS sources, max(received_at) AS last_updated
  FROM ${daysRelation(ctx, 'bronze/trades', 'bronze_trades')} WHERE ${range} GROUP BY ALL
)
SELECT s.exchange, s.symbol, s."date", 'silver' AS layer, s.minutes_expected, s.candles_present, s.quiet_minutes, s.missing_minutes, s.late_revisions,
  b.sources, s.last_updated
FROM ${silver} s LEFT JOIN bronze b USING (exchange, symbol, "date")
UNION ALL
SELECT exchange, symbol, "date", 'silver', ${expected}, 0, 0, ${expected}, 0, NULL, NULL FROM gap_days
UNION ALL
SELECT exchange, symbol, "date", 'bronze', ${expected}, minutes, NULL, NULL, NULL, sources, last_updated FROM bronze`;
}

/**
 * An input partitioned by (symbol, date), every row of it (silver: every revision): for a run of
 * some days, the files of those days only (the view binds every file of the table, ~10 µs a
 * file, each query); otherwise the view `all`.
 */
function daysRelation(ctx: BuildContext, table: string, all: string): string {
  const days = ctx.partitions;
  if (days === 'all' || days.some((p) => !p.symbol || !p.date)) return all;
  return ctx.partitionsRelation(table, days.map((p) => ({ symbol: p.symbol, date: p.date })));
}

/**
 * The (exchange, symbol, date) candidates for gap days: for a full build every day between a
 * symbol's first and latest silver day; for an incremental one the partitions asked for (those
 * `affected` added), with the exchanges (and symbols) silver has in the range.
 */
function gapDaysSql(partitions: PartitionSet, silver: string): string {
  if (partitions === 'all') {
    return `SELECT s.exchange, s.symbol, CAST(g.d AS DATE) AS "date"
    FROM (SELECT exchange, symbol, min("date") AS lo, max("date") AS hi FROM ${silver} GROUP BY ALL) s,
      generate_series(CAST(s.lo AS TIMESTAMP), CAST(s.hi AS TIMESTAMP), INTERVAL 1 DAY) g(d)`;
  }
  if (partitions.length === 0) return `SELECT NULL::VARCHAR AS exchange, NULL::VARCHAR AS symbol, NULL::DATE AS "date" WHERE false`;
  // A partition without a symbol (a full build restricted to --from/--to) stands for every symbol.
  const values = partitions.map((p) => `(${p.symbol ? sqlLiteral(p.symbol) : 'NULL'}, DATE ${sqlLiteral(p.date)})`).join(', ');
  return `SELECT e.exchange, e.symbol, p."date" FROM (VALUES ${values}) p(symbol, "date")
    JOIN (SELECT DISTINCT exchange, symbol FROM ${silver}) e ON p.symbol IS NULL OR p.symbol = e.symbol`;
}

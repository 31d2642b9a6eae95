/**
 * `gold/sentiment` (SQL, hourly): for every hour, the Fear & Greed value in force at the hour's
 * end, and the news of the hour (count and mean headline score), overall (`scope` = 'ALL') and
 * per coin mentioned (`scope` = 'BTC', ...). Everything is joined as of the time it was known
 * (`known_at`: a Fear & Greed reading's `as_of`, a news item's `published_at`), strictly before
 * the hour's end: a later reading or item never changes an hour. A full rewrite each run (one
 * row per hour and scope).
 */
import type { TableDefinition } from '../../lake/index.ts';
import type { Model } from '../model.ts';

export const GOLD_SENTIMENT: TableDefinition = {
  name: 'gold/sentiment',
  description: 'Hourly market sentiment: Fear & Greed in force, news count and mean headline score, overall and per coin, as of each hour end.',
  columns: [
    { name: 'hour', type: 'timestamp', nullable: false, comment: 'start of the hour (UTC)' },
    { name: 'scope', type: 'string', nullable: false, comment: "'ALL' or the coin mentioned (BTC, ETH, ...)" },
    { name: 'fear_greed', type: 'integer', comment: 'the Fear & Greed value in force at the hour end' },
    { name: 'fear_greed_class', type: 'string' },
    { name: 'fear_greed_known_at', type: 'timestamp' },
    { name: 'news_count', type: 'long', nullable: false, comment: 'news items published within the hour' },
    { name: 'news_score_mean', type: 'double', comment: 'mean headline sentiment score of those items' },
    { name: 'known_at', type: 'timestamp', comment: 'the latest input this row used (always before the hour end)' },
    { name: 'date', type: 'date', nullable: false, derivedFrom: `CAST(make_timestamp(epoch_us(hour)) AS DATE)` },
  ],
  partitionColumns: ['date'],
};

export const sentimentModel: Model = {
  name: 'sentiment',
  description: 'hourly Fear & Greed and news sentiment, as of each hour end',
  inputs: ['bronze/sentiment', 'bronze/news'],
  output: GOLD_SENTIMENT,
  materialization: 'full',
  lookbackDays: 0,
  sql: () => `
WITH fg AS (
  SELECT value, classification, as_of AS known_at FROM bronze_sentiment WHERE indicator = 'fear_and_greed'
  QUALIFY row_number() OVER (PARTITION BY as_of ORDER BY received_at DESC) = 1
), news AS (
  SELECT DISTINCT ON (feed, guid) published_at AS known_at, sentiment_score, symbols FROM bronze_news ORDER BY feed, guid, received_at
), news_scoped AS (
  SELECT known_at, sentiment_score, 'ALL' AS scope FROM news
  UNION ALL
  SELECT known_at, sentiment_score, trim(s) AS scope FROM news, unnest(string_split(symbols, ',')) AS t(s) WHERE trim(s) <> ''
), bounds AS (
  SELECT date_trunc('hour', min(known_at)) AS lo, date_trunc('hour', max(known_at)) AS hi FROM (SELECT known_at FROM fg UNION ALL SELECT known_at FROM news)
), hours AS (
  SELECT unnest(generate_series(lo, hi, INTERVAL 1 HOUR)) AS hour FROM bounds WHERE lo IS NOT NULL
), scopes AS (SELECT DISTINCT scope FROM news_scoped UNION SELECT 'ALL'),
grid AS (SELECT hour, hour + INTERVAL 1 HOUR AS hour_end, scope FROM hours, scopes),
with_fg AS (
  SELECT g.hour, g.hour_end, g.scope, f.value AS fear_greed, f.classification AS fear_greed_class, f.known_at AS fear_greed_known_at
  FROM grid g ASOF LEFT JOIN fg f ON g.hour_end > f.known_at
), news_hourly AS (
  SELECT date_trunc('hour', known_at) AS hour, scope, count(*) AS news_count, avg(sentiment_score) AS news_score_mean, max(known_at) AS last_known
  FROM news_scoped GROUP BY ALL
)
SELECT w.hour, w.scope, w.fear_greed, w.fear_greed_class, w.fear_greed_known_at,
  coalesce(n.news_count, 0) AS news_count, n.news_score_mean,
  greatest(w.fear_greed_known_at, n.last_known) AS known_at
FROM with_fg w LEFT JOIN news_hourly n ON n.hour = w.hour AND n.scope = w.scope
WHERE NOT (w.scope <> 'ALL' AND n.news_count IS NULL)`,
  tests: [
    { kind: 'unique', columns: ['hour', 'scope'] },
    { kind: 'not_null', columns: ['hour', 'scope', 'news_count'] },
    { kind: 'sql', name: 'no_lookahead', sql: `SELECT * FROM {{ this }} WHERE known_at >= hour + INTERVAL 1 HOUR OR fear_greed_known_at >= hour + INTERVAL 1 HOUR` },
  ],
};

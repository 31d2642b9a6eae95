/** The Kafka topics (ARCHITECTURE.md, "Topics"). Values are JSON carrying a schema version. */
export const TOPICS = {
  trades: 'market.trades.v1',
  tickers: 'market.tickers.v1',
  sentiment: 'market.sentiment.v1',
  news: 'market.news.v1',
  candles: 'market.candles.v1',
  /** Gaps in an exchange's trade id sequence, found by the websocket producer, for repair. */
  gaps: 'market.gaps.v1',
  /** New gold alerts (price spikes, volume surges, whale trades, signals), each published once by the gold build. */
  alerts: 'market.alerts.v1',
  deadletter: 'market.deadletter.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
export const ALL_TOPICS: readonly TopicName[] = Object.values(TOPICS);

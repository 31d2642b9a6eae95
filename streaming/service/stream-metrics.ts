/** Prometheus metrics of the streaming service (one registry per process). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class StreamMetrics {
  /** Events read, by topic and what happened to them (events/s = rate of this). */
  readonly events: Counter<'topic' | 'outcome'>;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  /** Wall clock minus the event-time watermark. */
  readonly watermarkDelay: Gauge;
  readonly partitionWatermarkDelay: Gauge<'partition'>;
  readonly commitSeconds: Histogram<'table'>;
  readonly batchRows: Histogram<'table'>;
  readonly candles: Counter<'kind'>;
  readonly recoveries: Counter;
  readonly commitFailures: Counter<'table' | 'reason'>;
  readonly symbols: Gauge;
  /** 1m windows left without a candle (beyond the fill gap), per symbol: gaps for the coverage ledger and a backfill. */
  readonly missingMinutes: Counter<'symbol'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.events = new Counter({ name: 'marketlake_stream_events_total', help: 'Events read from Kafka, by topic and outcome (accepted, late, duplicate, too_late, deadletter)', labelNames: ['topic', 'outcome'], registers });
    this.consumerLag = new Gauge({ name: 'marketlake_stream_consumer_lag', help: 'Messages between the last one processed and the partition high watermark', labelNames: ['topic', 'partition'], registers });
    this.watermarkDelay = new Gauge({ name: 'marketlake_stream_watermark_delay_seconds', help: 'Wall clock minus the event-time watermark of the candle operator', registers });
    this.partitionWatermarkDelay = new Gauge({ name: 'marketlake_stream_partition_watermark_delay_seconds', help: 'Wall clock minus the watermark of each trades partition', labelNames: ['partition'], registers });
    this.commitSeconds = new Histogram({ name: 'marketlake_stream_commit_seconds', help: 'Lake commit latency by table', labelNames: ['table'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.batchRows = new Histogram({ name: 'marketlake_stream_batch_rows', help: 'Rows per lake commit by table', labelNames: ['table'], buckets: [1, 10, 100, 1000, 10_000, 50_000, 100_000, 250_000, 500_000], registers });
    this.candles = new Counter({ name: 'marketlake_stream_candles_total', help: 'Candles emitted, by kind (final, revision, provisional)', labelNames: ['kind'], registers });
    this.recoveries = new Counter({ name: 'marketlake_stream_recoveries_total', help: 'State rebuilds from the lake (start and rebalances)', registers });
    this.commitFailures = new Counter({ name: 'marketlake_stream_commit_failures_total', help: 'Lake commits that failed', labelNames: ['table', 'reason'], registers });
    this.missingMinutes = new Counter({ name: 'marketlake_stream_missing_minutes_total', help: 'Minutes left without a 1m candle because the symbol did not trade for longer than STREAM_MAX_FILL_GAP_MS (exchange:symbol)', labelNames: ['symbol'], registers });
    this.symbols = new Gauge({ name: 'marketlake_stream_symbols', help: 'Symbols whose candle state this instance holds', registers });
  }
}

/**
 * Publishing new gold alerts once. gold/alerts records, as a Delta `txn` mark of its own
 * (`alerts-publisher:<topic>` → version), the table version whose alerts have been published; a
 * publish compares the table now with the table at that version (time travel) and sends the
 * alerts that were not there, then records the new version. Re-runs, candle revisions and
 * backfills recompute the same alert_ids, so they send nothing new. A crash between sending and
 * recording sends the same alerts again on the next publish (same key: consumers drop repeats).
 * The first publish on a lake sends every alert it holds.
 */
import { LakeQueryEngine, type Lake } from '../lake/index.ts';
import type { AlertEvent } from '../common/events/index.ts';
import { TOPICS } from '../common/topics.ts';
import type { Producer } from 'kafkajs';
import { GOLD_ALERTS } from './models/alerts.ts';
import { openGoldTable } from './runner.ts';

export function alertsPublisherAppId(topic: string = TOPICS.alerts): string {
  return `alerts-publisher:${topic}`;
}

export interface PublishAlertsResult {
  readonly published: number;
  /** The gold/alerts version published up to before, if any. */
  readonly fromVersion?: number;
  readonly toVersion: number;
}

/** Sends `events` (keyed by alertId); resolves once they are durably accepted. */
export type AlertSender = (events: readonly AlertEvent[]) => Promise<void>;

export async function publishNewAlerts(lake: Lake, send: AlertSender, options: { topic?: string; batchSize?: number } = {}): Promise<PublishAlertsResult> {
  const appId = alertsPublisherAppId(options.topic);
  const table = await openGoldTable(lake, GOLD_ALERTS);
  const snapshot = await table.refresh();
  const fromVersion = snapshot.txnVersion(appId);
  const toVersion = snapshot.version;
  if (fromVersion !== undefined && fromVersion >= toVersion) return { published: 0, fromVersion, toVersion };
  const engine = await LakeQueryEngine.open({ lake, readOnly: false });
  let events: AlertEvent[];
  try {
    await engine.pin(GOLD_ALERTS.name, { version: toVersion }, '__alerts_now');
    const before = fromVersion === undefined ? undefined : (await engine.pin(GOLD_ALERTS.name, { version: fromVersion }, '__alerts_before'), '__alerts_before');
    const { rows } = await engine.query(`SELECT alert_id, exchange, symbol, "interval", epoch_us(window_start) AS ws, kind, severity, value, threshold, details, epoch_us(raised_at) AS raised
      FROM __alerts_now ${before ? `WHERE alert_id NOT IN (SELECT alert_id FROM ${before})` : ''} ORDER BY window_start, alert_id`);
    events = rows.map((r) => ({
      v: 1,
      alertId: String(r.alert_id),
      exchange: String(r.exchange),
      symbol: String(r.symbol),
      interval: String(r.interval),
      windowStartUs: Number(r.ws),
      kind: String(r.kind),
      severity: r.severity as AlertEvent['severity'],
      value: r.value === null ? null : Number(r.value),
      threshold: r.threshold === null ? null : Number(r.threshold),
      details: r.details === null ? null : String(r.details),
      raisedAtUs: Number(r.raised),
    }));
  } finally {
    engine.close();
  }
  const batch = options.batchSize ?? 500;
  for (let i = 0; i < events.length; i += batch) await send(events.slice(i, i + batch));
  // Record what has been published, in the alerts table's own log.
  await table.append([], { txn: [{ appId, version: toVersion }], parameters: { published: events.length, topic: options.topic ?? TOPICS.alerts } });
  return { published: events.length, fromVersion, toVersion };
}

/** An AlertSender over a connected kafkajs producer (ideally idempotent): key alertId, value JSON, all acks. */
export function kafkaAlertSender(producer: Producer, topic: string = TOPICS.alerts): AlertSender {
  return async (events) => {
    await producer.send({ topic, acks: -1, messages: events.map((e) => ({ key: e.alertId, value: JSON.stringify(e) })) });
  };
}

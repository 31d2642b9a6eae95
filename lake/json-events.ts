/**
 * A batch of events kept as their JSON bytes, back to back, for the bronze tables: what a
 * streaming service already holds (the Kafka message values it validated) and what crosses to
 * a writer thread for the cost of one memcpy, where row objects would be cloned one value at a
 * time on the sending thread. The writer parses them again with the same JSON.parse, so the row
 * is exactly the event the service validated, and maps it with the table's `*EventToRow`.
 */
import { eventToRow, type JsonEventKind } from './tables/event-rows.ts';
import type { LakeRow } from './writer.ts';

export type { JsonEventKind };

export interface JsonEvents {
  readonly format: 'json-events';
  readonly event: JsonEventKind;
  /** UTF-8 JSON of every event, back to back; event i ends at `ends[i]` (no separator needed). */
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;
}

/** What a table append takes: rows, or events as JSON bytes. */
export type RowBatch = readonly LakeRow[] | JsonEvents;

export function isJsonEvents(batch: RowBatch): batch is JsonEvents {
  return !Array.isArray(batch);
}

export function batchLength(batch: RowBatch): number {
  return isJsonEvents(batch) ? batch.ends.length : batch.length;
}

/** The rows of a batch (parsing and mapping JSON events). */
export function materializeRows(batch: RowBatch): readonly LakeRow[] {
  if (!isJsonEvents(batch)) return batch;
  const toRow = eventToRow(batch.event);
  const decoder = new TextDecoder();
  const rows: LakeRow[] = new Array(batch.ends.length);
  let start = 0;
  for (let i = 0; i < batch.ends.length; i++) {
    const end = batch.ends[i];
    rows[i] = toRow(JSON.parse(decoder.decode(batch.bytes.subarray(start, end))));
    start = end;
  }
  return rows;
}

/** Collects JSON event bytes (e.g. Kafka message values) into a JsonEvents batch. */
export class JsonEventsBuilder {
  private readonly chunks: Uint8Array[] = [];
  private bytes = 0;

  constructor(readonly event: JsonEventKind) {}

  get length(): number {
    return this.chunks.length;
  }

  /** One event's JSON (kept by reference until `build`). */
  push(json: Uint8Array): void {
    this.chunks.push(json);
    this.bytes += json.byteLength;
  }

  /** One event as an object (serialised here). */
  pushEvent(event: unknown): void {
    this.push(Buffer.from(JSON.stringify(event)));
  }

  /** One batch of these builders' events, in order, in a buffer of its own (transferable). */
  static build(builders: readonly JsonEventsBuilder[]): JsonEvents {
    if (builders.length === 0) throw new Error('JsonEventsBuilder.build: no builders');
    const event = builders[0].event;
    let total = 0;
    let count = 0;
    for (const b of builders) {
      if (b.event !== event) throw new Error(`JsonEventsBuilder.build: ${b.event} events mixed with ${event}`);
      total += b.bytes;
      count += b.chunks.length;
    }
    const bytes = new Uint8Array(new ArrayBuffer(total));
    const ends = new Uint32Array(count);
    let at = 0;
    let i = 0;
    for (const b of builders) {
      for (const c of b.chunks) {
        bytes.set(c, at);
        at += c.byteLength;
        ends[i++] = at;
      }
    }
    return { format: 'json-events', event, bytes, ends };
  }
}

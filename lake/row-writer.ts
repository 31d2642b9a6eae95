/**
 * Where appended rows become Parquet data files: a RowWriter writes them and returns their Delta
 * `add` actions, without committing. A table uses `writeRowBatch` on its own thread unless it is
 * handed another one (a WriterThread's `write`, see lake/writer-thread.ts), so neither the table
 * nor the writer thread imports the other.
 */
import type { AddAction } from './delta/actions.ts';
import { materializeRows, type RowBatch } from './json-events.ts';
import { writeRows, type DataFileSpec } from './writer.ts';

/** Writes rows into new data files of a table and returns their `add` actions (no commit). */
export type RowWriter = (spec: DataFileSpec, rows: RowBatch) => Promise<AddAction[]>;

/** The RowWriter on the calling thread (JSON events are parsed and mapped here). */
export const writeRowBatch: RowWriter = (spec, batch) => writeRows(spec, materializeRows(batch));

/**
 * Which partitions a model's run computes: from what changed in its inputs since its last run
 * (their Delta logs, and the partitions a handed-on parent is recomputing), widened by what the
 * model says a change affects (its lookback, a recursion's later days), within --from/--to.
 */
import type { DeltaTable, Lake, LakeQueryEngine } from '../lake/index.ts';
import { changedPartitions, type CommitChanges } from './changes.ts';
import type { GoldConfig } from './config.ts';
import { inputFiles, type HandOff } from './input-relations.ts';
import { lookbackDaysOf, type Model } from './model.ts';
import { computedPartitionColumns } from './month-partitions.ts';
import { addDays, dedupePartitions, unionPartitions, type Partition, type PartitionSet } from './partitions.ts';

/**
 * The Delta `txn` app id under which a model's output commit records the version of an input it
 * read: the record and the data cannot disagree.
 */
export function txnAppId(model: string, input: string): string {
  return `transform:${model}:${input}`;
}

/** What planning needs of a run's options. */
export interface PlanOptions {
  readonly fullRefresh?: boolean;
  readonly from?: string;
  readonly to?: string;
  readonly config: GoldConfig;
  /** What commits changed, worked out once per run (changes.ts). */
  readonly commitChanges?: CommitChanges;
}

/** The output partitions this run must compute. */
export async function plan(
  lake: Lake,
  engine: LakeQueryEngine,
  conn: LakeQueryEngine['connection'],
  model: Model,
  out: DeltaTable,
  inputVersions: Record<string, number>,
  handOffs: ReadonlyMap<string, HandOff>,
  options: PlanOptions,
): Promise<PartitionSet> {
  const snapshot = out.snapshot();
  const last = Object.fromEntries(model.inputs.map((i) => [i, snapshot.txnVersion(txnAppId(model.name, i))]));
  let set: PartitionSet;
  if (options.fullRefresh || model.inputs.some((i) => last[i] === undefined)) {
    set = 'all';
  } else {
    let changed: PartitionSet = [];
    for (const input of model.inputs) {
      const since = last[input]!;
      // A handed-on input: the partitions its model is committing, and any committed before.
      const handOff = handOffs.get(input);
      if (handOff) changed = unionPartitions(changed, handOff.partitions);
      if (inputVersions[input] <= since) continue;
      changed = unionPartitions(changed, await changedPartitions(await lake.table(input), since, inputVersions[input], options.commitChanges));
    }
    if (changed !== 'all' && changed.length === 0) return [];
    if (model.materialization === 'full' || changed === 'all') set = 'all';
    else if (!model.affected) set = defaultAffected(model, changed, lookbackDaysOf(model, options.config));
    else {
      const partitionsOf = (table: string) => {
        const handOff = handOffs.get(table);
        if (handOff) return [...[...handOff.snapshot.files.values()].map((f) => f.partitionValues), ...handOff.partitions];
        return [...(engine.tableSnapshot(table)?.files.values() ?? [])].map((f) => f.partitionValues);
      };
      const filesOf = (table: string) => inputFiles(engine, handOffs, model, table);
      set = await model.affected(changed, { conn, config: options.config, partitionsOf, filesOf, filesRelation: (table, files) => engine.filesRelation(table, files) });
    }
  }
  if (model.materialization === 'full' || snapshot.partitionColumns.length === 0 || (!options.from && !options.to)) return set;
  return restrictToDates(set, options.from, options.to, await knownDates(lake, model, out));
}

/**
 * By default a changed input partition changes the output partition with the same values (on
 * the output's partition columns), and, through the lookback, the `lookbackDays` dates after it.
 */
export function defaultAffected(model: Model, changed: readonly Partition[], lookbackDays: number): PartitionSet {
  const columns = computedPartitionColumns(model.output.partitionColumns ?? []);
  const out: Partition[] = [];
  for (const p of changed) {
    const q: Record<string, string> = {};
    for (const c of columns) if (p[c] !== undefined) q[c] = p[c];
    if (Object.keys(q).length === 0) return 'all';
    out.push(q);
    if (q.date) for (let d = 1; d <= lookbackDays; d++) out.push({ ...q, date: addDays(q.date, d) });
  }
  return dedupePartitions(out);
}

async function knownDates(lake: Lake, model: Model, out: DeltaTable): Promise<string[]> {
  const dates = new Set<string>();
  const tables = [out, ...(await Promise.all(model.inputs.map((i) => lake.table(i).catch(() => undefined))))];
  for (const t of tables) for (const f of t?.snapshot().files.values() ?? []) if (f.partitionValues.date) dates.add(f.partitionValues.date);
  return [...dates].sort();
}

function restrictToDates(set: PartitionSet, from: string | undefined, to: string | undefined, known: readonly string[]): PartitionSet {
  const inRange = (d: string) => (!from || d >= from) && (!to || d <= to);
  if (set === 'all') return known.filter(inRange).map((date) => ({ date }));
  return set.filter((p) => p.date === undefined || inRange(p.date));
}

/**
 * What an incremental gold build is about to read as changed, before it runs: for each selected
 * model and each of its inputs, the input's partitions changed since the version the model's last
 * commit recorded (its `txn` marks, see runner.ts), as one span of dates. The gold build's quality
 * gate judges that span when the build is given no from/to, so that a backfilled month the build
 * will rewrite is checked, not only the newest hours.
 */
import { TableNotFoundError, type Lake } from '../lake/index.ts';
import { changedPartitions } from './changes.ts';
import { ModelGraph } from './graph.ts';
import { outputTableOf, type Model } from './model.ts';
import { txnAppId } from './plan.ts';

/** `none`: nothing changed; `all`: the whole of some input (a first build, an unpartitioned input, a log cleaned up). */
export type ChangedDates = 'none' | 'all' | { readonly from: string; readonly to: string };

/** Only the inputs in `tables` count (e.g. those the blocking checks guard); default every bronze and silver input. */
export async function changedInputDates(lake: Lake, models: readonly Model[], options: { select?: readonly string[]; tables?: readonly string[] } = {}): Promise<ChangedDates> {
  const counted = (input: string) => (options.tables ? options.tables.includes(input) : !input.startsWith('gold/'));
  const existing = new Set(await lake.listTables());
  const dates: string[] = [];
  for (const model of new ModelGraph(models).select(options.select ?? [])) {
    let marks: ((input: string) => number | undefined) | undefined;
    try {
      const out = await lake.table(outputTableOf(model));
      const snapshot = await out.refresh();
      marks = (input) => snapshot.txnVersion(txnAppId(model.name, input));
    } catch (err) {
      if (!(err instanceof TableNotFoundError)) throw err;
    }
    for (const input of model.inputs) {
      // An input that does not exist has nothing to judge (gold tables read by a model are built first).
      if (!existing.has(input) || !counted(input)) continue;
      const since = marks?.(input);
      if (since === undefined) return 'all';
      const table = await lake.table(input);
      const changed = await changedPartitions(table, since, (await table.refresh()).version);
      if (changed === 'all') return 'all';
      for (const p of changed) {
        if (p.date === undefined) return 'all';
        dates.push(p.date);
      }
    }
  }
  if (dates.length === 0) return 'none';
  dates.sort();
  return { from: dates[0], to: dates[dates.length - 1] };
}

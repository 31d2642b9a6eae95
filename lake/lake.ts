/**
 * The lake: the root directory (LAKE_DIR) that holds every table as `<layer>/<name>/`.
 * Hands out one DeltaTable handle per table and process, creating the known bronze and silver
 * tables on first use.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadBaseConfig } from '../common/config.ts';
import type { RowWriter } from './row-writer.ts';
import { DeltaTable } from './table.ts';
import { KNOWN_TABLES } from './tables/index.ts';
import type { TableDefinition } from './tables/table-definition.ts';

export const LAYERS = ['bronze', 'silver', 'gold'] as const;
export type Layer = (typeof LAYERS)[number];

const TABLE_NAME = /^(bronze|silver|gold)\/([a-z][a-z0-9_]*)$/;

/** Accepts `bronze/trades` or the view spelling `bronze_trades`; returns `bronze/trades`. */
export function normaliseTableName(name: string): string {
  const slash = TABLE_NAME.test(name) ? name : name.replace(/^(bronze|silver|gold)_/, '$1/');
  if (!TABLE_NAME.test(slash)) throw new Error(`invalid table name ${JSON.stringify(name)}: expected <bronze|silver|gold>/<name>, e.g. bronze/trades`);
  return slash;
}

/** The SQL view name of a table: `bronze/trades` → `bronze_trades`. */
export function viewName(table: string): string {
  return normaliseTableName(table).replace('/', '_');
}

export interface LakeOptions {
  /** Where appended rows become Parquet files (default: this thread; see WriterThread). */
  readonly rowWriter?: RowWriter;
}

export class Lake {
  readonly root: string;
  private readonly handles = new Map<string, Promise<DeltaTable>>();

  constructor(
    root: string,
    private readonly options: LakeOptions = {},
  ) {
    this.root = path.resolve(root);
  }

  /** The lake under `LAKE_DIR` (default ./lake/data). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): Lake {
    return new Lake(loadBaseConfig(env).LAKE_DIR);
  }

  tableDir(name: string): string {
    return path.join(this.root, ...normaliseTableName(name).split('/'));
  }

  /**
   * The table handle (cached per process). Known tables (bronze/*, silver/candles) are created on
   * first use; any other table must exist or be created with `createTable`.
   */
  table(name: string): Promise<DeltaTable> {
    const key = normaliseTableName(name);
    let h = this.handles.get(key);
    if (!h) {
      const def = KNOWN_TABLES[key];
      h = (def ? DeltaTable.openOrCreate(this.tableDir(key), def) : DeltaTable.open(this.tableDir(key))).then((t) => this.configure(t));
      h.catch(() => this.handles.delete(key));
      this.handles.set(key, h);
    }
    return h;
  }

  /** Creates (or opens, if it exists) a table such as `gold/indicators` from a definition. */
  createTable(def: TableDefinition): Promise<DeltaTable> {
    const key = normaliseTableName(def.name);
    const h = DeltaTable.openOrCreate(this.tableDir(key), { ...def, name: key }).then((t) => this.configure(t));
    h.catch(() => this.handles.delete(key));
    this.handles.set(key, h);
    return h;
  }

  private configure(t: DeltaTable): DeltaTable {
    if (this.options.rowWriter) t.rowWriter = this.options.rowWriter;
    return t;
  }

  /** Creates every known bronze and silver table that does not exist yet. */
  async ensureKnownTables(): Promise<void> {
    for (const name of Object.keys(KNOWN_TABLES)) await this.table(name);
  }

  /** Names (`layer/name`) of the tables that exist on disk, sorted. */
  async listTables(): Promise<string[]> {
    const out: string[] = [];
    for (const layer of LAYERS) {
      let entries: string[];
      try {
        entries = await fs.readdir(path.join(this.root, layer));
      } catch {
        continue;
      }
      for (const e of entries.sort()) {
        if (!TABLE_NAME.test(`${layer}/${e}`)) continue;
        if (await DeltaTable.exists(path.join(this.root, layer, e))) out.push(`${layer}/${e}`);
      }
    }
    return out;
  }
}

/**
 * Ad-hoc SQL for POST /v1/sql: one read-only SELECT over the lake, through the same guard as
 * `marketlake sql` (LakeQueryEngine in read-only mode: DuckDB's parser must see exactly one
 * SELECT, the prepared statement must be a SELECT, external access is off outside the lake and
 * the configuration is locked). Its own DuckDB, with its own memory limit and threads, so that a
 * heavy query cannot starve the API's other routes; queries run one at a time and one that
 * outlives the time limit is interrupted. Rows beyond the limit are cut (and said so), a result
 * bigger than the byte limit is refused.
 */
import { Lake, LakeQueryEngine, QueryTimeoutError, ReadOnlyViolation, UnknownViewError, parseSingleSelect, type QueryResult } from '../lake/index.ts';
import { BadRequestProblem, UnprocessableProblem } from './problem.ts';

export interface SqlLimits {
  readonly maxRows: number;
  readonly timeoutMs: number;
  readonly maxResultBytes: number;
}

export interface SqlAnswer extends QueryResult {
  readonly truncated: boolean;
  readonly elapsedMs: number;
  readonly lakeVersions: Record<string, number>;
}

export class SqlRunner {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly engine: LakeQueryEngine,
    private readonly limits: SqlLimits,
  ) {}

  static async open(lake: Lake | string, limits: SqlLimits, opts: { memoryLimit?: string; threads?: number } = {}): Promise<SqlRunner> {
    const engine = await LakeQueryEngine.open({ lake: typeof lake === 'string' ? lake : new Lake(lake.root), memoryLimit: opts.memoryLimit, threads: opts.threads });
    return new SqlRunner(engine, limits);
  }

  /** Runs one SELECT within the limits (serialised with other SQL requests). */
  run(sql: string): Promise<SqlAnswer> {
    const next = this.queue.then(() => this.runNow(sql));
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.engine.close();
  }

  private async runNow(sql: string): Promise<SqlAnswer> {
    const text = sql.trim().replace(/;\s*$/, '');
    if (text === '') throw new BadRequestProblem('sql', 'sql is empty');
    await this.engine.refresh();
    // The guard first, on the text as sent: a refusal names what was refused.
    try {
      await parseSingleSelect(this.engine.connection, text);
    } catch (err) {
      if (err instanceof ReadOnlyViolation) throw new UnprocessableProblem(err.message, 'not-a-single-select');
      throw err;
    }
    // The row limit wraps the query (the wrapped text is guarded again by engine.query).
    const limited = `SELECT * FROM (\n${text}\n) AS query LIMIT ${this.limits.maxRows + 1}`;
    const t0 = performance.now();
    let result: QueryResult;
    try {
      result = await this.engine.query(limited, { timeoutMs: this.limits.timeoutMs });
    } catch (err) {
      if (err instanceof QueryTimeoutError) throw new UnprocessableProblem(`the query ran longer than the time limit of ${this.limits.timeoutMs} ms and was stopped`, 'time-limit');
      if (err instanceof ReadOnlyViolation) throw new UnprocessableProblem(err.message, 'not-a-single-select');
      if (err instanceof UnknownViewError) throw new BadRequestProblem('sql', err.message);
      const message = (err as Error).message ?? String(err);
      if (/Out of Memory|memory limit/i.test(message)) throw new UnprocessableProblem('the query needed more memory than the limit allows', 'memory-limit');
      if (/Permission Error|enable_external_access|allowed_directories|not allowed/i.test(message)) throw new UnprocessableProblem(`refused: ${firstLine(message)}`, 'outside-the-lake');
      throw new BadRequestProblem('sql', firstLine(message));
    }
    const truncated = result.rows.length > this.limits.maxRows;
    const rows = truncated ? result.rows.slice(0, this.limits.maxRows) : result.rows;
    const bytes = Buffer.byteLength(JSON.stringify(rows));
    if (bytes > this.limits.maxResultBytes) {
      throw new UnprocessableProblem(`the result is ${bytes} bytes, above the limit of ${this.limits.maxResultBytes}: select fewer rows or columns`, 'result-size-limit');
    }
    return { ...result, rows, truncated, elapsedMs: performance.now() - t0, lakeVersions: this.engine.viewVersions() };
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 500);
}

/**
 * One list route over a gold view (`gold_<name>`), for the analytics resources. Gold tables are
 * built by the transforms and may not exist yet (a fresh lake) or may gain columns: a missing
 * table answers an empty list (`available: false`), and each filter applies only when the view
 * has its column.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp } from '../../deps.ts';
import type { ApiDeps } from '../../deps.ts';
import { negotiateFormat, tabular, tabularContent } from '../../formats.ts';
import { notModified } from '../../middleware/etag.ts';
import { formatParam, limitParam, sqlString, sqlTimestamp, timeParam } from '../../params.ts';
import { BadRequestProblem, problemResponses } from '../../problem.ts';
import { jsonRows } from '../../rows.ts';

export interface GoldListSpec {
  readonly path: string;
  readonly view: string;
  readonly summary: string;
  readonly description: string;
  /** Columns the filters may use, with how: equality on a string, or a time range. */
  readonly equals: readonly string[];
  /** The time column `from`/`to` filter and the newest-first order use (first present wins). */
  readonly timeColumns: readonly string[];
  /** A `date` column `from`/`to` also filter on (coverage). */
  readonly dateColumn?: string;
  /** Known columns, for the OpenAPI document (more may appear). */
  readonly rowSchema: z.ZodType;
  readonly name: string;
}

const UPPER = new Set(['symbol']);

export function registerGoldList(app: ApiApp, deps: ApiDeps, spec: GoldListSpec): void {
  const filterShape: Record<string, z.ZodType> = {};
  for (const col of spec.equals) filterShape[col] = z.string().min(1).max(100).optional().openapi({ description: `only rows with this ${col}` });
  const query = z.object({
    ...filterShape,
    from: timeParam.optional().openapi({ description: 'inclusive (ISO 8601 or epoch ms)' }),
    to: timeParam.optional().openapi({ description: 'exclusive (ISO 8601 or epoch ms)' }),
    limit: limitParam(100, 1000),
    format: formatParam,
  });
  const route = createRoute({
    method: 'get',
    path: spec.path,
    tags: ['analytics'],
    summary: spec.summary,
    description: `${spec.description} Reads the lake view ${spec.view}; until a transform has built it the list is empty (available=false). Newest first.`,
    request: { query },
    responses: {
      200: {
        description: spec.summary,
        content: tabularContent(z.object({ table: z.string(), available: z.boolean(), data: z.array(spec.rowSchema) }).openapi(`${spec.name}List`)),
      },
      304: { description: 'not modified' },
      ...problemResponses(400, 401, 403, 429, 503),
    },
  });
  app.openapi(route, async (c) => {
    const q = c.req.valid('query') as Record<string, unknown> & { from?: number; to?: number; limit: number };
    const format = negotiateFormat(c);
    if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw new BadRequestProblem('from', 'from must be before to');
    return deps.lake.use(async (session) => {
      if (notModified(c, session.versions([spec.view]))) return c.body(null, 304) as never;
      if (!session.has(spec.view)) return tabular(c, format, [], [], { table: spec.view, available: false, data: [] });
      const columns = (await session.query(`SELECT * FROM ${spec.view} LIMIT 0`)).columns;
      const has = (col: string) => columns.includes(col);
      const where: string[] = [];
      for (const col of spec.equals) {
        const v = q[col];
        if (typeof v === 'string' && has(col)) where.push(`${JSON.stringify(col)} = ${sqlString(UPPER.has(col) ? v.toUpperCase() : v)}`);
      }
      const time = spec.timeColumns.find(has);
      if (time && q.from !== undefined) where.push(`${JSON.stringify(time)} >= ${sqlTimestamp(q.from)}`);
      if (time && q.to !== undefined) where.push(`${JSON.stringify(time)} < ${sqlTimestamp(q.to)}`);
      if (spec.dateColumn && has(spec.dateColumn)) {
        if (q.from !== undefined) where.push(`${JSON.stringify(spec.dateColumn)} >= DATE '${new Date(q.from / 1000).toISOString().slice(0, 10)}'`);
        if (q.to !== undefined) where.push(`${JSON.stringify(spec.dateColumn)} < DATE '${new Date(q.to / 1000).toISOString().slice(0, 10)}'`);
      }
      const order = time ?? spec.dateColumn;
      const sql = `SELECT * FROM ${spec.view}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}${order && has(order) ? ` ORDER BY ${JSON.stringify(order)} DESC` : ''} LIMIT ${q.limit}`;
      const result = await session.query(sql);
      const data = jsonRows(result);
      return tabular(c, format, result.columns, data, { table: spec.view, available: true, data });
    });
  });
}

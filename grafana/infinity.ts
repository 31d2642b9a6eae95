/**
 * Infinity queries against our API. The plugin publishes no types on npm, so the query shape is
 * declared here, following the plugin's own `src/types/query.types.ts` (JSON over a URL, backend
 * parser, named columns with a type each). The URL is relative: the provisioned data source's URL
 * (the API's base, e.g. http://api:8000) is put in front of it, and its API key sent with it.
 */
import type { DataQuery } from '@grafana/schema';
import { MARKETLAKE_API } from './datasources.ts';

/** Infinity's column formats: `timestamp` parses ISO strings (and epoch ms numbers), `number` numeric strings too. */
export type InfinityColumnType = 'string' | 'number' | 'timestamp' | 'timestamp_epoch' | 'timestamp_epoch_s';

export interface InfinityColumn {
  /** Field of each row of the JSON answer. */
  readonly selector: string;
  /** Name of the resulting data frame field (what the panel maps: `time`, `open`, ...). */
  readonly text: string;
  readonly type: InfinityColumnType;
}

export interface InfinityQuery extends DataQuery {
  readonly refId: string;
  readonly datasource: typeof MARKETLAKE_API;
  readonly type: 'json';
  readonly source: 'url';
  readonly parser: 'backend';
  readonly format: 'table' | 'timeseries';
  readonly url: string;
  /** GET, or POST with a raw JSON body (`POST /v1/sql`). */
  readonly url_options: { readonly method: 'GET' | 'POST'; readonly data: string; readonly body_type?: 'raw'; readonly body_content_type?: 'application/json' };
  /** Path to the array of rows in the answer (`candles` for /v1/ohlc); empty when the answer is the array. */
  readonly root_selector: string;
  readonly columns: readonly InfinityColumn[];
}

/** Dashboard time range as epoch ms, the API's `from` (inclusive) and `to` (exclusive). */
export const TIME_RANGE_PARAMS = 'from=${__from}&to=${__to}';

export function apiQuery(refId: string, url: string, root: string, columns: readonly InfinityColumn[], format: 'table' | 'timeseries' = 'table'): InfinityQuery {
  return {
    refId,
    datasource: MARKETLAKE_API,
    type: 'json',
    source: 'url',
    parser: 'backend',
    format,
    url,
    url_options: { method: 'GET', data: '' },
    root_selector: root,
    columns,
  };
}

/** A POST of a JSON body (the API's read-only `POST /v1/sql`, which needs the provisioned key). */
export function apiPost(refId: string, url: string, body: unknown, root: string, columns: readonly InfinityColumn[]): InfinityQuery {
  return { ...apiQuery(refId, url, root, columns), url_options: { method: 'POST', data: JSON.stringify(body), body_type: 'raw', body_content_type: 'application/json' } };
}

export const col = {
  time: (selector: string, text = 'time'): InfinityColumn => ({ selector, text, type: 'timestamp' }),
  num: (selector: string, text = selector): InfinityColumn => ({ selector, text, type: 'number' }),
  str: (selector: string, text = selector): InfinityColumn => ({ selector, text, type: 'string' }),
};

export function isInfinityQuery(target: unknown): target is InfinityQuery {
  return typeof target === 'object' && target !== null && (target as { datasource?: { type?: string } }).datasource?.type === MARKETLAKE_API.type;
}

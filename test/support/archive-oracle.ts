/**
 * The oracle side of backfill tests: a Binance klines archive read independently of the code
 * under test (yauzl + plain string splitting, no csv-parse, no DuckDB staging), and SQL that
 * rolls 1m klines up to larger windows written independently of workflows/backfill/staging.ts.
 */
import yauzl from 'yauzl';

export async function zipText(file: string): Promise<string> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))));
  return new Promise((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          zip.close();
          resolve(Buffer.concat(chunks).toString('utf8'));
        });
        stream.on('error', reject);
      });
    });
    zip.on('error', reject);
    zip.readEntry();
  });
}

/** A decimal string without trailing zeros ("1.50000000" → "1.5", "2.000" → "2"): compares values digit for digit. */
export function canonicalDecimal(s: string): string {
  if (!s.includes('.')) return s.replace(/^0+(?=\d)/, '');
  const [i, f] = s.split('.');
  const frac = f.replace(/0+$/, '');
  return `${i.replace(/^0+(?=\d)/, '')}${frac ? `.${frac}` : ''}`;
}

/** One row of Binance's kline file, columns named as in /api/v3/klines. */
export interface BinanceKline {
  openTimeMs: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  closeTimeMs: number;
  quoteVolume: string;
  tradeCount: number;
  takerBuyVolume: string;
  takerBuyQuoteVolume: string;
}

/** The rows of a kline CSV (a header line, if any, is skipped). */
export function parseKlinesCsv(text: string): BinanceKline[] {
  return text
    .trim()
    .split(/\r?\n/)
    .filter((l) => /^\d/.test(l))
    .map((l) => {
      const f = l.split(',');
      return {
        openTimeMs: Number(f[0]),
        open: f[1],
        high: f[2],
        low: f[3],
        close: f[4],
        volume: f[5],
        closeTimeMs: Number(f[6]),
        quoteVolume: f[7],
        tradeCount: Number(f[8]),
        takerBuyVolume: f[9],
        takerBuyQuoteVolume: f[10],
      };
    });
}

/**
 * Rollup of a table `k(t_ms BIGINT, o, h, l, c DECIMAL, v, qv, n BIGINT, tbv, tbqv)` into windows
 * of `minutes`, from the non-empty minutes (n > 0); a window with only empty minutes keeps the
 * carried price of its minutes.
 */
export function oracleRollupSql(minutes: number): string {
  const ms = minutes * 60_000;
  return `SELECT t_ms - t_ms % ${ms} AS w,
      coalesce(list(o ORDER BY t_ms) FILTER (WHERE n > 0)[1], list(c ORDER BY t_ms)[1]) AS o,
      coalesce(max(h) FILTER (WHERE n > 0), list(c ORDER BY t_ms)[1]) AS h,
      coalesce(min(l) FILTER (WHERE n > 0), list(c ORDER BY t_ms)[1]) AS l,
      coalesce(list(c ORDER BY t_ms DESC) FILTER (WHERE n > 0)[1], list(c ORDER BY t_ms)[1]) AS c,
      sum(v) AS v, sum(qv) AS qv, sum(n) AS n, sum(tbv) AS tbv, sum(tbqv) AS tbqv
    FROM k GROUP BY 1`;
}

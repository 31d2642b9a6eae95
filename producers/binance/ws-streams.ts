/**
 * Which combined-stream URLs to open: `<base>/stream?streams=btcusdt@trade/ethusdt@trade`, at
 * most `maxPerConnection` streams each (Binance's limit is 1024). Subscribing through the URL
 * sends no SUBSCRIBE messages, which keeps us far from the 5 control messages/s limit.
 */
export interface PlannedConnection {
  readonly url: string;
  readonly streams: readonly string[];
}

export function tradeStreamNames(symbols: readonly string[], kind: 'trade' | 'aggTrade'): string[] {
  return [...new Set(symbols.map((s) => `${s.toLowerCase()}@${kind}`))];
}

export function planConnections(
  baseUrl: string,
  streams: readonly string[],
  opts: { maxPerConnection: number; microseconds: boolean },
): PlannedConnection[] {
  if (opts.maxPerConnection < 1 || opts.maxPerConnection > 1024) throw new RangeError('Binance allows 1..1024 streams per connection');
  const base = baseUrl.replace(/\/+$/, '');
  const plans: PlannedConnection[] = [];
  for (let i = 0; i < streams.length; i += opts.maxPerConnection) {
    const chunk = streams.slice(i, i + opts.maxPerConnection);
    // Stream names are [a-z0-9@_]: nothing to escape, and Binance expects the literal "/" and "@".
    const url = `${base}/stream?streams=${chunk.join('/')}${opts.microseconds ? '&timeUnit=MICROSECOND' : ''}`;
    plans.push({ url, streams: chunk });
  }
  return plans;
}

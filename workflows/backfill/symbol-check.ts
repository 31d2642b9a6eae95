/**
 * Is each symbol of a backfill one Binance has? Checked before any work, because
 * data.binance.vision answers an unknown symbol the way it answers a day not published yet (404),
 * and a typo would otherwise end as a "successful" backfill of nothing.
 *
 * The archive answers first (one small `.CHECKSUM` of the symbol's first planned file): a file
 * there settles it, and a normal backfill costs one request per symbol. Only when the archive has
 * nothing is the exchange asked (REST klines, the mirror's symbol list): `Invalid symbol` makes
 * the backfill fail with UnknownSymbolError naming the symbol; a known symbol (listed later than
 * the range, or today's file not published yet) goes on, its days `unavailable`. When neither
 * answers clearly (network trouble), the check gives way with a warning: the plan's own 404s say
 * the rest.
 */
import { BinanceRestClient, InvalidSymbolError } from '../../producers/index.ts';
import type { ActivityDeps } from '../activity-deps.ts';
import { UnknownSymbolError } from './input.ts';
import type { WorkItem } from './plan.ts';

const CHECK_TIMEOUT_MS = 10_000;

async function archived(deps: Pick<ActivityDeps, 'fetch'>, url: string): Promise<boolean | undefined> {
  try {
    const res = await deps.fetch(`${url}.CHECKSUM`, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    await res.body?.cancel();
    if (res.ok) return true;
    return res.status === 404 ? false : undefined;
  } catch {
    return undefined;
  }
}

/** Throws UnknownSymbolError for the first symbol neither the archive nor the exchange knows. */
export async function checkSymbolsExist(deps: Pick<ActivityDeps, 'fetch' | 'logger' | 'config'>, symbols: readonly string[], items: readonly WorkItem[]): Promise<void> {
  const rest = new BinanceRestClient({ baseUrl: deps.config.BINANCE_REST_BASE_URL, logger: deps.logger, retries: 1, timeoutMs: CHECK_TIMEOUT_MS, minBackoffMs: 200 });
  for (const symbol of symbols) {
    const first = items.find((i) => i.symbol === symbol && i.archive);
    if (first && (await archived(deps, first.archive!.url))) continue;
    try {
      await rest.klines({ symbol, interval: '1m', limit: 1 });
    } catch (err) {
      if (err instanceof InvalidSymbolError) throw new UnknownSymbolError(symbol, first?.archive?.url);
      deps.logger.warn({ symbol, err: (err as Error).message }, 'could not check that the symbol exists (the exchange did not answer): going on');
    }
  }
}

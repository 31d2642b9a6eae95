/**
 * Which coins a news item mentions: a small curated map from names and tickers to the upper-case
 * base symbol. Names match case-insensitively on word boundaries ("Bitcoin", "ether"); tickers
 * that are also ordinary words ("SOL", "ONE") match only in upper case.
 */

interface CoinPatterns {
  readonly symbol: string;
  /** Case-insensitive names. */
  readonly names: readonly string[];
  /** Case-sensitive tickers. */
  readonly tickers: readonly string[];
}

const COINS: readonly CoinPatterns[] = [
  { symbol: 'BTC', names: ['bitcoin', 'bitcoins', 'btc'], tickers: ['XBT'] },
  { symbol: 'ETH', names: ['ethereum', 'ether', 'eth'], tickers: [] },
  { symbol: 'SOL', names: ['solana'], tickers: ['SOL'] },
  { symbol: 'XRP', names: ['xrp', 'ripple'], tickers: [] },
  { symbol: 'BNB', names: ['bnb', 'binance coin', 'bnb chain'], tickers: [] },
  { symbol: 'DOGE', names: ['dogecoin', 'doge'], tickers: [] },
  { symbol: 'ADA', names: ['cardano'], tickers: ['ADA'] },
  { symbol: 'TRX', names: ['tron', 'trx'], tickers: [] },
  { symbol: 'AVAX', names: ['avalanche', 'avax'], tickers: [] },
  { symbol: 'DOT', names: ['polkadot'], tickers: ['DOT'] },
  { symbol: 'LINK', names: ['chainlink'], tickers: ['LINK'] },
  { symbol: 'LTC', names: ['litecoin', 'ltc'], tickers: [] },
  { symbol: 'TON', names: ['toncoin'], tickers: ['TON'] },
  { symbol: 'USDT', names: ['tether', 'usdt'], tickers: [] },
  { symbol: 'USDC', names: ['usdc'], tickers: [] },
  { symbol: 'SHIB', names: ['shiba inu', 'shib'], tickers: [] },
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Word boundaries that also work next to "$" ("$BTC") and hyphens ("bitcoin-backed").
const wordRegex = (words: readonly string[], flags: string) =>
  words.length === 0 ? undefined : new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.map(escape).join('|')})(?![\\p{L}\\p{N}])`, `u${flags}`);

const MATCHERS = COINS.map((c) => ({ symbol: c.symbol, names: wordRegex(c.names, 'i'), tickers: wordRegex(c.tickers, '') }));

/** The symbols `text` mentions, in the curated map's order (by market relevance), each once. */
export function mentionedSymbols(...texts: readonly (string | undefined)[]): string[] {
  const text = texts.filter(Boolean).join('\n');
  return MATCHERS.filter((m) => m.names?.test(text) || m.tickers?.test(text)).map((m) => m.symbol);
}

/**
 * Headline sentiment with the `sentiment` package (AFINN-165 word list): the total score and the
 * score per word. AFINN knows general English, not market slang, so a few market words get
 * scores of their own (kept small and obvious; the package applies them on top of AFINN).
 */
import Sentiment from 'sentiment';

const MARKET_WORDS: Record<string, number> = {
  bullish: 2,
  bearish: -2,
  rally: 2,
  rallies: 2,
  surge: 2,
  surges: 2,
  soars: 2,
  plunge: -2,
  plunges: -2,
  sinks: -2,
  slumps: -2,
  tumbles: -2,
  crash: -3,
  crashes: -3,
  liquidations: -1,
  hack: -3,
  hacked: -3,
  exploit: -3,
  outflows: -1,
  inflows: 1,
};

const analyzer = new Sentiment();

export interface HeadlineSentiment {
  readonly score: number;
  readonly comparative: number;
}

export function headlineSentiment(headline: string): HeadlineSentiment {
  const { score, comparative } = analyzer.analyze(headline, { extras: MARKET_WORDS });
  return { score, comparative: Number.isFinite(comparative) ? comparative : 0 };
}

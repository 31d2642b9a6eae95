import { describe, expect, it } from 'vitest';
import { mentionedSymbols } from './symbol-tagger.ts';
import { headlineSentiment } from './headline-sentiment.ts';

describe('mentionedSymbols', () => {
  it('finds names and tickers on word boundaries', () => {
    expect(mentionedSymbols('XRP sinks below $1 for first time since 2024 as Korean bank adopts Ripple Payments')).toEqual(['XRP']);
    expect(mentionedSymbols('Bitcoin-backed loans and ether staking', '$SOL rallies')).toEqual(['BTC', 'ETH', 'SOL']);
  });

  it('does not read words that merely contain a name, nor ordinary words in lower case', () => {
    expect(mentionedSymbols('An ethereal sol of the tether-free (no) dotcom link')).toEqual(['USDT']);
    expect(mentionedSymbols('The sun (sol) is a link to the dot')).toEqual([]);
  });
});

describe('headlineSentiment', () => {
  it('scores positive, negative and neutral headlines with the AFINN list and market words', () => {
    expect(headlineSentiment('Bitcoin rallies as investors celebrate a great week').score).toBeGreaterThan(0);
    expect(headlineSentiment('Exchange hacked, prices crash amid panic').score).toBeLessThan(0);
    expect(headlineSentiment('Bitcoin')).toEqual({ score: 0, comparative: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/config.ts';
import { loadNewsConfig, parseFeedSpec } from './config.ts';

describe('news config', () => {
  it('defaults to CoinDesk, Cointelegraph and Decrypt', () => {
    expect(loadNewsConfig({}).NEWS_FEEDS).toEqual([
      { id: 'coindesk', url: 'https://www.coindesk.com/arc/outboundfeeds/rss/' },
      { id: 'cointelegraph', url: 'https://cointelegraph.com/rss' },
      { id: 'decrypt', url: 'https://decrypt.co/feed' },
    ]);
  });

  it('takes id=url or bare urls (with query strings containing "=")', () => {
    expect(parseFeedSpec('https://news.example.org/feed?format=rss')).toEqual({ id: 'example', url: 'https://news.example.org/feed?format=rss' });
    expect(parseFeedSpec('mine=http://127.0.0.1:8080/rss')).toEqual({ id: 'mine', url: 'http://127.0.0.1:8080/rss' });
  });

  it('names the variable when a feed is wrong', () => {
    expect(() => loadNewsConfig({ NEWS_FEEDS: 'a=ftp://x/feed' })).toThrow(ConfigError);
    expect(() => loadNewsConfig({ NEWS_FEEDS: 'https://news.example.org/1,https://www.example.org/2' })).toThrow(/NEWS_FEEDS: feed id example used twice/);
  });
});

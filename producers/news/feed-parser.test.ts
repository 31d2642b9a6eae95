import { describe, expect, it } from 'vitest';
import { PAYLOADS, readSharedData } from '../../test/support/recorded-payloads.ts';
import { parseFeed } from './feed-parser.ts';

const coindesk = readSharedData(...PAYLOADS.coindeskRss).toString('utf8');

describe('parseFeed: RSS 2.0 (CoinDesk, recorded 2026-08-18)', () => {
  const feed = parseFeed(coindesk);

  it('reads all 25 items with guid, link, CDATA title and date', () => {
    expect(feed.format).toBe('rss');
    expect(feed.rejected).toEqual([]);
    expect(feed.items).toHaveLength(25);
    expect(new Set(feed.items.map((i) => i.guid)).size).toBe(25);
    const first = feed.items[0];
    expect(first).toMatchObject({
      guid: 'cb60d5d6-92dd-47e8-80af-1087bb24d90b',
      link: 'https://www.coindesk.com/markets/2026/08/18/the-bitcoin-price-level-where-leveraged-bulls-could-get-whacked',
      title: 'The bitcoin price level where leveraged bulls could get whacked',
      summary: 'Bulls are stacking longs, liquidity is thinning and one key level could trigger large liquidations.',
      publishedAtMs: Date.parse('2026-08-18T05:55:43Z'),
    });
    expect(feed.items.at(-1)!.publishedAtMs).toBe(Date.parse('2026-08-17T04:43:03Z'));
    for (const i of feed.items) expect(i.guid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps Unicode punctuation', () => {
    expect(feed.items.some((i) => /[’“”–]/.test(i.title + (i.summary ?? '')))).toBe(true);
  });
});

describe('parseFeed: Atom and RDF', () => {
  it('reads Atom entries, their alternate link, and falls back to the link when there is no id', () => {
    const atom = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><id>urn:uuid:1</id><title type="html">Ether &amp; Solana &#8217;rally&#8217;</title>
        <link rel="self" href="https://x.test/self/1"/><link rel="alternate" href="https://x.test/a/1"/>
        <published>2026-08-18T10:00:00Z</published><summary>&lt;p&gt;Some &lt;b&gt;html&lt;/b&gt;&lt;/p&gt;</summary></entry>
      <entry><title>No id</title><link href="https://x.test/a/2"/><updated>2026-08-18T11:00:00+02:00</updated></entry>
    </feed>`;
    const feed = parseFeed(atom);
    expect(feed.format).toBe('atom');
    expect(feed.items).toEqual([
      { guid: 'urn:uuid:1', link: 'https://x.test/a/1', title: 'Ether & Solana ’rally’', summary: 'Some html', publishedAtMs: Date.parse('2026-08-18T10:00:00Z') },
      { guid: 'https://x.test/a/2', link: 'https://x.test/a/2', title: 'No id', summary: undefined, publishedAtMs: Date.parse('2026-08-18T09:00:00Z') },
    ]);
  });

  it('reads RSS 1.0 (RDF) items', () => {
    const rdf = `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <item rdf:about="https://x.test/1"><title>One</title><link>https://x.test/1</link><dc:date>2026-01-01T00:00:00Z</dc:date></item></rdf:RDF>`;
    expect(parseFeed(rdf).items).toEqual([{ guid: 'https://x.test/1', link: 'https://x.test/1', title: 'One', summary: undefined, publishedAtMs: Date.parse('2026-01-01T00:00:00Z') }]);
  });

  it('rejects items without id and link or without a title, keeping the others', () => {
    const rss = `<rss version="2.0"><channel><item><title>ok</title><guid>g1</guid></item><item><description>x</description></item><item><guid>g3</guid></item></channel></rss>`;
    const feed = parseFeed(rss);
    expect(feed.items.map((i) => i.guid)).toEqual(['g1']);
    expect(feed.rejected.map((r) => r.reason)).toEqual(['item has neither guid/id nor link', 'item g3 has no title']);
  });

  it('throws on broken XML and on other documents', () => {
    expect(() => parseFeed('<rss><channel><item></channel></rss>')).toThrow(/well-formed/);
    expect(() => parseFeed('<html><body/></html>')).toThrow(/not an RSS or Atom feed/);
  });
});

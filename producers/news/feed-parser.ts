/**
 * RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 feeds → plain items, with fast-xml-parser. The feeds'
 * own shapes stay private to this file. Invalid XML throws; an item without a usable id or title
 * comes back in `rejected` so the caller can dead-letter it and keep the rest.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface FeedItem {
  /** guid / Atom id, else the link: the deduplication key. */
  readonly guid: string;
  readonly link?: string;
  readonly title: string;
  /** Plain text (tags stripped), at most `maxSummaryChars`. */
  readonly summary?: string;
  /** Epoch ms from pubDate / published / updated / dc:date, when present and readable. */
  readonly publishedAtMs?: number;
}

export interface ParsedFeed {
  readonly format: 'rss' | 'rdf' | 'atom';
  readonly items: FeedItem[];
  readonly rejected: { reason: string; raw: string }[];
}

const ARRAY_TAGS = new Set(['item', 'entry', 'link', 'category', 'dc:creator', 'author']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  htmlEntities: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => ARRAY_TAGS.has(name),
});

type Node = Record<string, unknown>;

/** Text of an element that may be a string, a `{#text, @_attr}` object or absent. */
function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return text(value[0]);
  if (typeof value === 'object' && '#text' in value) return text((value as Node)['#text']);
  return undefined;
}

function plain(html: string | undefined, maxChars: number): string | undefined {
  if (!html) return undefined;
  const stripped = html
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!stripped) return undefined;
  return stripped.length > maxChars ? `${stripped.slice(0, maxChars - 1)}…` : stripped;
}

function date(...candidates: unknown[]): number | undefined {
  for (const c of candidates) {
    const t = text(c);
    if (!t) continue;
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
  }
  return undefined;
}

function atomLink(links: unknown): string | undefined {
  if (!Array.isArray(links)) return text(links);
  const nodes = links as (Node | string)[];
  const alternate =
    nodes.find((l) => typeof l === 'object' && (l['@_rel'] === undefined || l['@_rel'] === 'alternate')) ?? nodes[0];
  return typeof alternate === 'string' ? alternate : text(alternate?.['@_href']) ?? text(alternate);
}

function toItem(fields: { guid?: string; link?: string; title?: string; summary?: string; publishedAtMs?: number }, raw: unknown, maxSummaryChars: number) {
  const title = plain(fields.title, 1_000);
  const guid = fields.guid ?? fields.link;
  if (!guid) return { rejected: { reason: 'item has neither guid/id nor link', raw: JSON.stringify(raw) } };
  if (!title) return { rejected: { reason: `item ${guid} has no title`, raw: JSON.stringify(raw) } };
  const item: FeedItem = { guid, link: fields.link, title, summary: plain(fields.summary, maxSummaryChars), publishedAtMs: fields.publishedAtMs };
  return { item };
}

export function parseFeed(xml: string, maxSummaryChars = 1_000): ParsedFeed {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new SyntaxError(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const doc = parser.parse(xml) as Node;
  const items: FeedItem[] = [];
  const rejected: { reason: string; raw: string }[] = [];
  const collect = (r: ReturnType<typeof toItem>) => (r.item ? items.push(r.item) : rejected.push(r.rejected!));

  const rss = doc.rss as Node | undefined;
  if (rss) {
    const channel = (rss.channel ?? {}) as Node;
    for (const it of (channel.item ?? []) as Node[]) {
      collect(
        toItem(
          {
            guid: text(it.guid),
            link: text(it.link),
            title: text(it.title),
            summary: text(it.description),
            publishedAtMs: date(it.pubDate, it['dc:date']),
          },
          it,
          maxSummaryChars,
        ),
      );
    }
    return { format: 'rss', items, rejected };
  }
  const feed = doc.feed as Node | undefined;
  if (feed) {
    for (const e of (feed.entry ?? []) as Node[]) {
      collect(
        toItem(
          {
            guid: text(e.id),
            link: atomLink(e.link),
            title: text(e.title),
            summary: text(e.summary) ?? text(e.content),
            publishedAtMs: date(e.published, e.updated),
          },
          e,
          maxSummaryChars,
        ),
      );
    }
    return { format: 'atom', items, rejected };
  }
  const rdf = doc['rdf:RDF'] as Node | undefined;
  if (rdf) {
    for (const it of (rdf.item ?? []) as Node[]) {
      collect(
        toItem(
          { guid: text(it['@_rdf:about']), link: text(it.link), title: text(it.title), summary: text(it.description), publishedAtMs: date(it['dc:date']) },
          it,
          maxSummaryChars,
        ),
      );
    }
    return { format: 'rdf', items, rejected };
  }
  throw new SyntaxError(`not an RSS or Atom feed (root element: ${Object.keys(doc).filter((k) => !k.startsWith('?')).join(', ') || 'none'})`);
}

/**
 * A live stream position: for every Kafka topic-partition the feed follows, the next offset a
 * client has not yet seen. It is the SSE event id, so a client that reconnects with
 * `Last-Event-ID` says exactly where to resume in each partition (one offset alone could not:
 * events of several partitions interleave). Text form: `t0=1520,t1=98,c0=77,a0=3` (channel
 * letter, partition, next offset).
 */
export type Channel = 'trades' | 'candles' | 'alerts';
export const CHANNELS: readonly Channel[] = ['trades', 'candles', 'alerts'];
const LETTER: Record<Channel, string> = { trades: 't', candles: 'c', alerts: 'a' };
const CHANNEL_OF: Record<string, Channel> = { t: 'trades', c: 'candles', a: 'alerts' };

export class PositionFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PositionFormatError';
  }
}

/** `trades:0` → next offset. */
export type Position = Map<string, number>;

export function partitionKey(channel: Channel, partition: number): string {
  return `${channel}:${partition}`;
}

export function formatPosition(position: Position): string {
  const parts: string[] = [];
  for (const [key, offset] of position) {
    const [channel, partition] = key.split(':');
    parts.push(`${LETTER[channel as Channel]}${partition}=${offset}`);
  }
  return parts.join(',');
}

export function parsePosition(text: string): Position {
  const out: Position = new Map();
  if (text.trim() === '') return out;
  if (text.length > 4096) throw new PositionFormatError('Last-Event-ID is too long');
  for (const part of text.split(',')) {
    const m = /^([tca])(\d{1,5})=(\d{1,16})$/.exec(part.trim());
    if (!m) throw new PositionFormatError(`Last-Event-ID: cannot read ${JSON.stringify(part.slice(0, 40))}; expected e.g. t0=1520,c0=77`);
    out.set(partitionKey(CHANNEL_OF[m[1]], Number(m[2])), Number(m[3]));
  }
  return out;
}

/**
 * The text of a position around one partition: the SSE id of that partition's events while the
 * others stand still is `before + next offset + after`. The events of one fetched batch (one
 * partition) share one, so that no event keeps a whole position text of its own.
 */
export interface PositionAround {
  readonly before: string;
  readonly after: string;
}

/**
 * A position that changes one partition at a time (what the feed has received, what it has
 * delivered). Its text is built when asked (`format`, `around`), not on every change.
 */
export class LivePosition {
  private readonly offsets: Position = new Map();
  private readonly prefixes = new Map<string, string>();
  private text: string | undefined = '';

  get(key: string): number | undefined {
    return this.offsets.get(key);
  }

  set(key: string, offset: number): void {
    this.offsets.set(key, offset);
    this.text = undefined;
  }

  get size(): number {
    return this.offsets.size;
  }

  entries(): IterableIterator<[string, number]> {
    return this.offsets.entries();
  }

  /** The position as text (what formatPosition writes). */
  format(): string {
    if (this.text === undefined) {
      const parts: string[] = [];
      for (const [key, offset] of this.offsets) parts.push(this.prefix(key) + offset);
      this.text = parts.join(',');
    }
    return this.text;
  }

  /** The text around partition `key` (which need not be here yet: it would come last). */
  around(key: string): PositionAround {
    let before = '';
    let after = '';
    let seen = false;
    for (const [k, offset] of this.offsets) {
      if (k === key) seen = true;
      else if (seen) after += `,${this.prefix(k)}${offset}`;
      else before += `${this.prefix(k)}${offset},`;
    }
    return { before: before + this.prefix(key), after };
  }

  /** `t0=` for `trades:0`. */
  private prefix(key: string): string {
    let prefix = this.prefixes.get(key);
    if (prefix === undefined) {
      const [channel, partition] = key.split(':');
      this.prefixes.set(key, (prefix = `${LETTER[channel as Channel]}${partition}=`));
    }
    return prefix;
  }
}

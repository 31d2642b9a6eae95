/**
 * Reads one SSE connection's raw bytes as they come off its socket (an HTTP/1.1 response head,
 * then the chunked body) and reports every trade (`"tradeId":<n>` in a frame's data) once the
 * bytes ending its frame (the blank line) have arrived: the measuring side of the SSE bench
 * (sse-client-fleet.ts), which must not be what is measured. At 50 × 10k events/s (~150 MB/s)
 * it works on the Buffers as read (no HTTP parser stream, no string decoding, no copy of a whole
 * read): trade ids are found with memchr (Buffer#indexOf of one byte) for the `I` of the marker,
 * which is then checked byte by byte (~10× cheaper than String#indexOf of the marker over latin1
 * text). HTTP chunk-size lines sit between frames (every write of the API is whole frames), so
 * they need no parsing.
 */
const MARKER = Buffer.from('"tradeId":', 'latin1');
/** The marker's rarest byte (once a trade frame), searched with memchr; its offset in the marker. */
const ANCHOR = 'I'.charCodeAt(0);
const ANCHOR_AT = MARKER.indexOf(ANCHOR);
const LF = 10;

export class SseStatusError extends Error {
  constructor(readonly statusLine: string) {
    super(`stream answered ${statusLine}`);
    this.name = 'SseStatusError';
  }
}

export class SseTradeReader {
  /** The response head read so far; undefined once the body has begun. */
  private head: Buffer | undefined = Buffer.alloc(0);
  /** The bytes after the last complete frame, joined to the next read. */
  private carry: Buffer | undefined;

  constructor(private readonly onTrade: (tradeId: number, nowMs: number) => void) {}

  /** Whether the response head (a 200) has been read. */
  get open(): boolean {
    return this.head === undefined;
  }

  /** One read off the socket, at `nowMs`. Throws SseStatusError when the answer is not a 200. */
  read(bytes: Buffer, nowMs: number): void {
    let chunk = bytes;
    if (this.head) {
      this.head = Buffer.concat([this.head, chunk]);
      const bodyAt = this.head.indexOf('\r\n\r\n');
      if (bodyAt < 0) return;
      const status = this.head.subarray(0, this.head.indexOf('\r\n')).toString('latin1');
      if (!status.startsWith('HTTP/1.1 200')) throw new SseStatusError(status);
      chunk = this.head.subarray(bodyAt + 4);
      this.head = undefined;
    }
    const carry = this.carry;
    const afterLF = carry !== undefined && carry[carry.length - 1] === LF;
    // The last frame boundary in this read, or one split between the last read and this one.
    const end = Math.max(lastFrameEnd(chunk), afterLF && chunk[0] === LF ? 1 : -1);
    if (end < 0) {
      this.carry = carry ? Buffer.concat([carry, chunk]) : Buffer.from(chunk);
      return;
    }
    let from = 0;
    if (carry) {
      // Only the frame the carried bytes begin is joined up (not the whole read: there is a
      // carry after nearly every read, if only the CRLF that ends an HTTP chunk).
      from = firstFrameEnd(chunk, afterLF);
      const joined = Buffer.concat([carry, chunk.subarray(0, from)]);
      this.trades(joined, joined.length, nowMs);
    }
    this.trades(chunk.subarray(from), end - from, nowMs);
    this.carry = end < chunk.length ? Buffer.from(chunk.subarray(end)) : undefined;
  }

  /** Reports the trades in `buf` before `end` (just past its last complete frame). */
  private trades(buf: Buffer, end: number, nowMs: number): void {
    for (let i = buf.indexOf(ANCHOR); i >= 0 && i < end; i = buf.indexOf(ANCHOR, i + 1)) {
      if (!markerAt(buf, i)) continue;
      let id = 0;
      for (let j = i - ANCHOR_AT + MARKER.length; j < end; j++) {
        const d = buf[j] - 48;
        if (d < 0 || d > 9) break;
        id = id * 10 + d;
      }
      this.onTrade(id, nowMs);
    }
  }
}

/** Whether `buf` holds the whole marker with its anchor byte at `i`. */
function markerAt(buf: Buffer, i: number): boolean {
  const start = i - ANCHOR_AT;
  if (start < 0) return false;
  for (let k = 0; k < MARKER.length; k++) if (buf[start + k] !== MARKER[k]) return false;
  return true;
}

/** Just past the first frame boundary in `buf` (which has one), `afterLF` if the bytes before it end with "\n". */
function firstFrameEnd(buf: Buffer, afterLF: boolean): number {
  if (afterLF && buf[0] === LF) return 1;
  for (let i = 1; i < buf.length; i++) if (buf[i] === LF && buf[i - 1] === LF) return i + 1;
  return buf.length;
}

/** Just past the last frame boundary (a blank line: "\n\n") in `buf`, or -1. */
function lastFrameEnd(buf: Buffer): number {
  for (let i = buf.length - 1; i > 0; i--) if (buf[i] === LF && buf[i - 1] === LF) return i + 1;
  return -1;
}

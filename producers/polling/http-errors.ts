/**
 * Why an HTTP poll failed, in a form the poller can act on: a status (429 and 418 mean "slow
 * down", with the server's Retry-After), a timeout, or a body that is not what the API promises.
 */

export class HttpStatusError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    /** The server's Retry-After, converted to ms, when it sent one. */
    readonly retryAfterMs: number | undefined,
    readonly bodySnippet: string,
  ) {
    super(`GET ${url} answered ${status}${retryAfterMs !== undefined ? ` (retry after ${retryAfterMs} ms)` : ''}: ${bodySnippet}`);
    this.name = 'HttpStatusError';
  }

  /** 429 Too Many Requests, and Binance's 418 for clients that ignored 429s. */
  get isRateLimited(): boolean {
    return this.status === 429 || this.status === 418;
  }
}

export class HttpTimeoutError extends Error {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`GET ${url} timed out after ${timeoutMs} ms`);
    this.name = 'HttpTimeoutError';
  }
}

/** The response arrived but its body is not what the API documents (dead-lettered by callers). */
export class PayloadError extends Error {
  constructor(
    message: string,
    readonly raw: Buffer,
    readonly origin: string,
  ) {
    super(message);
    this.name = 'PayloadError';
  }
}

/**
 * Parses a Retry-After header: delta-seconds ("120") or an HTTP date. Returns ms from `now`,
 * never negative, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date names its weekday and month; without letters Date.parse reads odd things ("-5").
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

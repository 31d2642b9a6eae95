/**
 * One GET with a hard timeout, for the pollers. Non-2xx answers become `HttpStatusError` (with
 * Retry-After), a timeout becomes `HttpTimeoutError`, so the poller can tell "back off" from
 * "broken". The body comes back as bytes so that a bad payload can be dead-lettered as received.
 */
import { HttpStatusError, HttpTimeoutError, parseRetryAfter } from './http-errors.ts';

export interface HttpGetOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

export async function httpGet(url: string, opts: HttpGetOptions): Promise<HttpResponse> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    const res = await fetch(url, { headers: { accept: 'application/json, application/xml;q=0.9, */*;q=0.8', ...opts.headers }, signal });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status < 200 || res.status > 299) {
      throw new HttpStatusError(url, res.status, parseRetryAfter(res.headers.get('retry-after')), body.subarray(0, 200).toString('utf8'));
    }
    return { url, status: res.status, headers: res.headers, body };
  } catch (err) {
    if (timeout.aborted && !opts.signal?.aborted) throw new HttpTimeoutError(url, opts.timeoutMs);
    throw err;
  }
}

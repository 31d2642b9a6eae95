/**
 * Conditional GETs: the ETag of a lake answer is a hash of the request (path and query) and the
 * versions of the lake tables it read, so it changes exactly when the answer can. A matching
 * If-None-Match gets 304 without running the query.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';

/** Sets the ETag; true when the client already has this version (answer 304). */
export function notModified(c: Context, versions: string): boolean {
  const url = new URL(c.req.url);
  const accept = c.req.query('format') ?? c.req.header('accept') ?? '';
  const tag = `"${createHash('sha1').update(`${url.pathname}?${url.searchParams.toString()}\u0000${accept}\u0000${versions}`).digest('base64url').slice(0, 27)}"`;
  c.header('ETag', tag);
  c.header('Cache-Control', 'no-cache');
  const inm = c.req.header('if-none-match');
  if (!inm) return false;
  return inm.split(',').some((t) => t.trim().replace(/^W\//, '') === tag || t.trim() === '*');
}

/**
 * API keys: `Authorization: Bearer <key>` or `X-API-Key: <key>`. Write and SQL routes always need
 * a full key (API_KEYS); read routes need one (full or read-only) only when API_READS_REQUIRE_KEY.
 * No key: 401; a key that is not known, or a read-only key on a write route: 403.
 */
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { ApiConfig } from '../config.ts';
import type { ApiEnv } from '../deps.ts';
import { ForbiddenProblem, UnauthorizedProblem, UnsupportedMediaTypeProblem } from '../problem.ts';

export type Access = 'read' | 'write';

export function presentedKey(header: (name: string) => string | undefined): string | undefined {
  const auth = header('authorization');
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
  }
  return header('x-api-key')?.trim() || undefined;
}

function known(key: string, keys: readonly string[]): boolean {
  const k = Buffer.from(key);
  return keys.some((candidate) => {
    const c = Buffer.from(candidate);
    return c.length === k.length && timingSafeEqual(c, k);
  });
}

/** Whether a key is one of the server's (full or read-only). */
export function isKnownKey(key: string, config: Pick<ApiConfig, 'API_KEYS' | 'API_READ_KEYS'>): boolean {
  return known(key, config.API_KEYS) || known(key, config.API_READ_KEYS);
}

export function requireAccess(config: Pick<ApiConfig, 'API_KEYS' | 'API_READ_KEYS' | 'API_READS_REQUIRE_KEY'>, access: Access): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const key = presentedKey((n) => c.req.header(n));
    c.set('apiKey', key);
    if (access === 'read' && !config.API_READS_REQUIRE_KEY) return next();
    if (access === 'write' && config.API_KEYS.length === 0) throw new ForbiddenProblem('this route is disabled: no API_KEYS are configured on the server');
    if (!key) throw new UnauthorizedProblem();
    if (known(key, config.API_KEYS)) return next();
    if (access === 'read' && known(key, config.API_READ_KEYS)) return next();
    if (known(key, config.API_READ_KEYS)) throw new ForbiddenProblem('this API key may only read');
    throw new ForbiddenProblem('unknown API key');
  };
}

/** POST bodies are JSON: any other declared type is a 415 (a missing body then fails validation: 400). */
export function requireJsonBody(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const type = c.req.header('content-type');
    if (!type || !/^application\/json\s*(;|$)/i.test(type)) throw new UnsupportedMediaTypeProblem(`send the body as application/json (got ${type ? JSON.stringify(type.slice(0, 60)) : 'no Content-Type'})`);
    return next();
  };
}

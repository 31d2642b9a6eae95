/**
 * Errors as RFC 9457 problem details. Handlers throw one of these classes; the app's single
 * onError turns them (and anything else) into `application/problem+json`. Callers and tests
 * branch on the class, never on message text.
 */
import { z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://github.com/marketlake/marketlake/blob/main/api/README.md#problem-';

export abstract class ApiProblem extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  /** Extra members of the problem document (e.g. `parameter`). */
  readonly extensions: Record<string, unknown> = {};
  /** Response headers the problem implies (WWW-Authenticate, Retry-After). */
  readonly headers: Record<string, string> = {};
  get type(): string {
    return `${TYPE_BASE}${this.status}`;
  }
}

/** 400: a bad parameter; `parameter` names it (query, path, header or body field). */
export class BadRequestProblem extends ApiProblem {
  readonly status = 400;
  readonly title = 'Bad request';
  constructor(
    readonly parameter: string,
    detail: string,
    readonly errors: readonly { parameter: string; detail: string }[] = [{ parameter, detail }],
  ) {
    super(detail);
    this.extensions.parameter = parameter;
    this.extensions.errors = errors;
  }
}

/** A problem class of a fixed status and title, for the problems that carry only a detail. */
function simpleProblem(status: number, title: string) {
  return class extends ApiProblem {
    readonly status = status;
    readonly title = title;
  };
}

export class UnauthorizedProblem extends simpleProblem(401, 'Unauthorized') {
  constructor(detail = 'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>') {
    super(detail);
    this.headers['WWW-Authenticate'] = 'Bearer realm="marketlake"';
  }
}

export class ForbiddenProblem extends simpleProblem(403, 'Forbidden') {}
export class NotFoundProblem extends simpleProblem(404, 'Not found') {}
export class PayloadTooLargeProblem extends simpleProblem(413, 'Content too large') {}
export class UnsupportedMediaTypeProblem extends simpleProblem(415, 'Unsupported media type') {}

/** 422: a well-formed request the server will not carry out (SQL refused or stopped by a limit). */
export class UnprocessableProblem extends ApiProblem {
  readonly status = 422;
  readonly title = 'Unprocessable request';
  constructor(
    detail: string,
    readonly reason: string,
  ) {
    super(detail);
    this.extensions.reason = reason;
  }
}

/** 429: past the rate limit; `retry_after` (seconds) repeats the Retry-After header. */
export class RateLimitedProblem extends ApiProblem {
  readonly status = 429;
  readonly title = 'Too many requests';
  constructor(retryAfterSeconds: number, perMinute: number) {
    super(`rate limit of ${perMinute} requests a minute exceeded; retry in ${retryAfterSeconds} s`);
    this.headers['Retry-After'] = String(retryAfterSeconds);
    this.extensions.retry_after = retryAfterSeconds;
  }
}

/** 503: a dependency (lake, Kafka, Temporal) is down; `dependency` names it. */
export class UnavailableProblem extends ApiProblem {
  readonly status = 503;
  readonly title = 'Service unavailable';
  constructor(
    readonly dependency: 'lake' | 'kafka' | 'temporal',
    detail: string,
  ) {
    super(detail);
    this.extensions.dependency = dependency;
    this.headers['Retry-After'] = '5';
  }
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    request_id: z.string().optional(),
    parameter: z.string().optional(),
    errors: z.array(z.object({ parameter: z.string(), detail: z.string() })).optional(),
    reason: z.string().optional(),
    dependency: z.string().optional(),
    retry_after: z.number().int().optional().openapi({ description: '429: seconds until a request is allowed again (as Retry-After)' }),
  })
  .openapi('Problem');

export type ProblemDocument = z.infer<typeof problemSchema>;

/** The problem document of any thrown value (unknown errors: a 500 without internals). */
export function problemOf(err: unknown, instance: string, requestId: string | undefined): { status: number; body: ProblemDocument; headers: Record<string, string> } {
  if (err instanceof ApiProblem) {
    return {
      status: err.status,
      headers: err.headers,
      body: { type: err.type, title: err.title, status: err.status, detail: err.message, instance, request_id: requestId, ...err.extensions },
    };
  }
  // Hono's own 4xx (e.g. a body that is not JSON) as a 400 naming the body.
  if (err instanceof HTTPException && err.status < 500) return problemOf(new BadRequestProblem('body', err.message || 'malformed request'), instance, requestId);
  return {
    status: 500,
    headers: {},
    body: { type: `${TYPE_BASE}500`, title: 'Internal server error', status: 500, detail: 'an unexpected error occurred; the request id is in the logs', instance, request_id: requestId },
  };
}

/** OpenAPI `responses` entries for the error statuses a route can answer. */
export function problemResponses(...statuses: number[]): Record<number, { description: string; content: Record<string, { schema: typeof problemSchema }> }> {
  const descriptions: Record<number, string> = {
    400: 'a parameter is invalid (`parameter` names it)',
    401: 'an API key is required',
    403: 'the API key may not use this route',
    404: 'not found',
    413: 'request body too large',
    415: 'the body must be application/json',
    422: 'the request was refused or stopped by a limit',
    429: 'rate limit exceeded (per API key, or per client address without a known key; see the RateLimit-* and Retry-After headers)',
    503: 'a dependency (lake, Kafka, Temporal) is down',
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: descriptions[s] ?? 'error', content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } }]));
}

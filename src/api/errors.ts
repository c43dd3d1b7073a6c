// One error format for every error answer: RFC 9457 problem details (application/problem+json) with a stable `code`
// per kind of error (PROBLEMS below, listed in docs/api.md), plus the fields clients of the original service read:
// `message` (the same text as `detail`), `requestId`, and per kind `errors` (invalid fields), `currentStatus` (an
// order's status on a conflict), `orderCount`, `reserved`/`maxStock`. Domain errors (src/domain/errors.ts) get their
// status here and only here; client mistakes are 4xx with a clear text, real faults a generic 500 whose details go to
// the log under the request id.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  AccessDeniedError,
  DomainError,
  EmailTakenError,
  IdempotencyKeyReusedError,
  InUseError,
  NotFoundError,
  RuleViolationError,
  StateConflictError,
  UnavailableError,
} from '../domain/errors.ts';
import type { Logger } from '../logger.ts';
import { ConnectionException } from '@mikro-orm/core';

/** Every kind of error the API answers with: its stable code, status and title. */
export const PROBLEMS = {
  'validation-failed': { status: 400, title: 'The request is not valid' },
  'malformed-request': { status: 400, title: 'The request cannot be read' },
  'id-mismatch': { status: 400, title: 'The id in the body differs from the id in the path' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'Not allowed for this user' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'state-conflict': { status: 409, title: 'Conflicts with the current state' },
  'email-taken': { status: 409, title: 'The e-mail address is already registered' },
  'in-use': { status: 409, title: 'Still referenced' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported content type' },
  'rule-violation': { status: 422, title: 'Breaks a business rule' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key already used for another request' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'internal-error': { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Temporarily unavailable' },
  overloaded: { status: 503, title: 'Too busy to accept new orders' },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export const PROBLEM_TYPE_PREFIX = 'urn:order-saga:problem:';
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** Seconds a client is told to wait (Retry-After) when a service the API needs is down. */
const RETRY_AFTER_SECONDS = '5';
/** Node socket errors and PostgreSQL's connection-class (08) and shutdown (57P0x) SQLSTATEs. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', '57P01', '57P02', '57P03']);
const UNREACHABLE_TEXT = /connection terminated|timeout exceeded when trying to connect|connection error|terminating connection/i;

/** Whether the error (or one it wraps) says the database cannot be reached, rather than that the request is wrong. */
export function isDatabaseUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof ConnectionException) return true;
    const raw = (e as { code?: unknown }).code;
    const code = typeof raw === 'string' ? raw : '';
    if (UNREACHABLE_CODES.has(code) || code.startsWith('08')) return true;
    if (e instanceof Error && UNREACHABLE_TEXT.test(e.message)) return true;
  }
  return false;
}

/** A failure that only exists over HTTP (authentication, a malformed request, throttling). */
export class AppError extends Error {
  readonly code: ProblemCode;
  readonly details: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: ProblemCode, message: string, options: { details?: Record<string, unknown>; headers?: Record<string, string> } = {}) {
    super(message);
    this.code = code;
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
  }
}

/** Writes a problem answer; `details` are extra members (e.g. errors, currentStatus). */
export function problem(c: Context, code: ProblemCode, message: string, details: Record<string, unknown> = {}): Response {
  const { status, title } = PROBLEMS[code];
  const requestId = c.get('requestId') as string | undefined;
  const body = {
    type: `${PROBLEM_TYPE_PREFIX}${code}`,
    title,
    status,
    detail: message,
    instance: c.req.path,
    code,
    message,
    ...details,
    ...(requestId ? { requestId } : {}),
  };
  return c.body(JSON.stringify(body), status, { 'Content-Type': PROBLEM_MEDIA_TYPE });
}

/** Hono's own client errors (malformed JSON, an unsupported content type, …) by status. */
const HTTP_EXCEPTION_CODES: Partial<Record<number, ProblemCode>> = {
  400: 'malformed-request',
  401: 'unauthenticated',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'rate-limited',
};

const domainCodes = new Map<new (...args: never[]) => DomainError, ProblemCode>([
  [NotFoundError, 'not-found'],
  [AccessDeniedError, 'forbidden'],
  [StateConflictError, 'state-conflict'],
  [EmailTakenError, 'email-taken'],
  [InUseError, 'in-use'],
  [RuleViolationError, 'rule-violation'],
  [UnavailableError, 'unavailable'],
  [IdempotencyKeyReusedError, 'idempotency-key-reused'],
]);

export function errorHandler(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof AppError) {
      for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
      return problem(c, err.code, err.message, err.details);
    }
    if (err instanceof DomainError) {
      const code = domainCodes.get(err.constructor as new () => DomainError);
      if (code === 'unavailable') c.header('Retry-After', RETRY_AFTER_SECONDS);
      if (code) return problem(c, code, err.message, err.details);
    }
    const requestId = c.get('requestId') as string | undefined;
    if (isDatabaseUnreachable(err)) {
      // An outage, not a client mistake: 503 so clients retry, and a line in the log for the operator.
      log.error({ err: String(err), requestId, method: c.req.method, path: c.req.path }, 'database unreachable');
      c.header('Retry-After', RETRY_AFTER_SECONDS);
      return problem(c, 'unavailable', 'The service is temporarily unavailable; please retry');
    }
    if (err instanceof HTTPException && err.status < 500) {
      const code = HTTP_EXCEPTION_CODES[err.status] ?? 'malformed-request';
      return problem(c, code, err.message || PROBLEMS[code].title);
    }
    log.error({ err, requestId, method: c.req.method, path: c.req.path }, 'request failed');
    return problem(c, 'internal-error', 'Internal server error');
  };
}

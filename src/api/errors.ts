// One error type for HTTP-only failures, one handler for everything: every error answer is JSON with a `message`.
// Domain errors (src/domain/errors.ts) get their status here and only here; client mistakes are 4xx with a clear
// text, real faults are a generic 500 whose details go to the log under the request id.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  AccessDeniedError,
  DomainError,
  NotFoundError,
  RuleViolationError,
  StateConflictError,
  UnavailableError,
} from '../domain/errors.ts';
import type { Logger } from '../logger.ts';
import { ConnectionException } from '@mikro-orm/core';

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

/** A failure that only exists over HTTP (authentication, a malformed request). */
export class AppError extends Error {
  readonly status: ContentfulStatusCode;
  readonly extra: Record<string, unknown>;

  constructor(status: ContentfulStatusCode, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}

const domainStatus = new Map<new (...args: never[]) => DomainError, ContentfulStatusCode>([
  [NotFoundError, 404],
  [AccessDeniedError, 403],
  [StateConflictError, 409],
  [RuleViolationError, 422],
  [UnavailableError, 503],
]);

export function errorHandler(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof AppError) return c.json({ message: err.message, ...err.extra }, err.status);
    const requestId = c.get('requestId') as string | undefined;
    if (err instanceof DomainError) {
      const status = domainStatus.get(err.constructor as new () => DomainError);
      if (status === 503) c.header('Retry-After', RETRY_AFTER_SECONDS);
      if (status) return c.json({ message: err.message, ...err.details }, status);
    }
    if (isDatabaseUnreachable(err)) {
      // An outage, not a client mistake: 503 so clients retry, and a line in the log for the operator.
      log.error({ err: String(err), requestId, method: c.req.method, path: c.req.path }, 'database unreachable');
      c.header('Retry-After', RETRY_AFTER_SECONDS);
      return c.json({ message: 'The service is temporarily unavailable; please retry', requestId }, 503);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      if (status < 500) return c.json({ message: err.message || 'Bad request' }, status);
    }
    log.error({ err, requestId, method: c.req.method, path: c.req.path }, 'request failed');
    return c.json({ message: 'Internal server error', requestId }, 500);
  };
}

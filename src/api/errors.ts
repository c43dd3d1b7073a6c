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
    if (err instanceof DomainError) {
      const status = domainStatus.get(err.constructor as new () => DomainError);
      if (status) return c.json({ message: err.message, ...err.details }, status);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      if (status < 500) return c.json({ message: err.message || 'Bad request' }, status);
    }
    const requestId = c.get('requestId') as string | undefined;
    log.error({ err, requestId, method: c.req.method, path: c.req.path }, 'request failed');
    return c.json({ message: 'Internal server error', requestId }, 500);
  };
}

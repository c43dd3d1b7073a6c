// One error type and one handler: every error answer is JSON with a `message`; client mistakes are 4xx with a clear
// text, real faults are a generic 500 whose details go to the log under the request id.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../logger.ts';

export class AppError extends Error {
  readonly status: ContentfulStatusCode;
  readonly extra: Record<string, unknown>;

  constructor(status: ContentfulStatusCode, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}

export const notFound = (what: string, id: number) => new AppError(404, `${what} with ID ${id} not found`);
export const forbidden = (message = 'You are not allowed to access this resource') => new AppError(403, message);

export function errorHandler(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof AppError) return c.json({ message: err.message, ...err.extra }, err.status);
    if (err instanceof HTTPException) {
      const status = err.status;
      if (status < 500) return c.json({ message: err.message || 'Bad request' }, status);
    }
    const requestId = c.get('requestId') as string | undefined;
    log.error({ err, requestId, method: c.req.method, path: c.req.path }, 'request failed');
    return c.json({ message: 'Internal server error', requestId }, 500);
  };
}

// Bearer authentication, attached by `route()` (src/api/openapi.ts) to every route that does not declare itself
// public: a valid token puts the caller's user id on the context. The token settings come from the context (set once
// by createApp), so route definitions stay module-level constants.
import { createMiddleware } from 'hono/factory';
import { verifyToken } from './tokens.ts';
import { AppError } from '../errors.ts';
import type { AppEnv } from '../context.ts';

export const authenticated = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new AppError(401, 'Authentication required: send an Authorization: Bearer <token> header');
  const userId = verifyToken(c.var.tokenConfig, match[1]!);
  if (userId === undefined) throw new AppError(401, 'Invalid or expired token');
  c.set('userId', userId);
  await next();
});

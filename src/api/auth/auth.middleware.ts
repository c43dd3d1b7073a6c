// Bearer authentication for /api routes: a valid token puts the caller's user id on the context.
import { createMiddleware } from 'hono/factory';
import type { TokenConfig } from './tokens.ts';
import { verifyToken } from './tokens.ts';
import { AppError } from '../errors.ts';
import type { AppEnv } from '../context.ts';

export function requireAuth(config: TokenConfig) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AppError(401, 'Authentication required: send an Authorization: Bearer <token> header');
    const userId = verifyToken(config, match[1]!);
    if (userId === undefined) throw new AppError(401, 'Invalid or expired token');
    c.set('userId', userId);
    await next();
  });
}

// Bearer authentication and authorisation, attached by `route()` (src/api/openapi.ts) to every route that does not
// declare itself public. A token is accepted only while it names a live user at the credential version it was issued
// for, and the user's role is read from that same row, so a role change, a password change or a deleted account take
// effect on the next request. The row is remembered per process and forgotten when PostgreSQL notifies a change
// (credentials.ts). The settings come from the context (set once by createApp), so route definitions stay module-level
// constants.
import { createMiddleware } from 'hono/factory';
import type { UserRole } from '../../db/entities.ts';
import { AccessDeniedError } from '../../domain/errors.ts';
import { db, type AppEnv } from '../context.ts';
import type { Credentials } from './credentials.ts';
import { AppError } from '../errors.ts';
import { verifyToken } from './tokens.ts';

export const authenticated = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new AppError('unauthenticated', 'Authentication required: send an Authorization: Bearer <token> header');
  const claims = verifyToken(c.var.authConfig, match[1]!);
  if (!claims) throw new AppError('unauthenticated', 'Invalid or expired token');
  const user = await c.var.credentials.lookup(claims.userId, async (id): Promise<Credentials | undefined> => {
    const [row] = await db(c).execute<{ role: UserRole; credential_version: number }[]>(
      'select role, credential_version from users where id = ?',
      [id],
    );
    return row && { role: row.role, credentialVersion: row.credential_version };
  });
  if (!user || user.credentialVersion !== claims.credentialVersion) {
    throw new AppError('unauthenticated', 'Token no longer valid (the account was deleted or its password changed); log in again');
  }
  c.set('userId', claims.userId);
  c.set('role', user.role);
  await next();
});

/** Product writes: any authenticated user, or only admins, as PRODUCT_WRITE_ACCESS says (after `authenticated`). */
export const catalogueWriter = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.authConfig.PRODUCT_WRITE_ACCESS === 'admin' && c.var.role !== 'admin') {
    throw new AccessDeniedError('Only an admin may change the catalogue (PRODUCT_WRITE_ACCESS=admin)');
  }
  await next();
});

/** Operator routes (dead letters): admins only (after `authenticated`). */
export const adminOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.role !== 'admin') throw new AccessDeniedError('Only an admin may do this');
  await next();
});

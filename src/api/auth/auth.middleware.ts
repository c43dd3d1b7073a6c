// Bearer authentication and authorisation, attached by `route()` (src/api/openapi.ts) to every route that does not
// declare itself public. A token is accepted only while it names a live user at the credential version it was issued
// for, and the user's role is read from that same row, so a role change, a password change or a deleted account take
// effect on the next request. The row is remembered per process and forgotten when PostgreSQL notifies a change
// (credentials.ts). The settings come from the context (set once by createApp), so route definitions stay module-level
// constants. On the operator console's routes the console's session cookie is accepted instead of the header, and a
// state-changing request it authenticates needs its X-CSRF-Token (session-cookie.ts).
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { UserRole } from '../../db/entities.ts';
import { AccessDeniedError } from '../../domain/errors.ts';
import { db, type AppEnv } from '../context.ts';
import type { Credentials } from './credentials.ts';
import { AppError } from '../errors.ts';
import { acceptsSessionCookie, CSRF_HEADER, hasValidCsrfToken, isStateChanging, sessionToken } from './session-cookie.ts';
import { verifyToken } from './tokens.ts';

/** The live user a token names, with their role; throws 401 otherwise. */
export async function userOfToken(c: Context<AppEnv>, token: string): Promise<{ userId: number; role: UserRole }> {
  const claims = verifyToken(c.get('authConfig'), token);
  if (!claims) throw new AppError('unauthenticated', 'Invalid or expired token');
  const user = await c.get('credentials').lookup(claims.userId, async (id): Promise<Credentials | undefined> => {
    const [row] = await db(c).execute<{ role: UserRole; credential_version: number }[]>(
      'select role, credential_version from users where id = ?',
      [id],
    );
    return row && { role: row.role, credentialVersion: row.credential_version };
  });
  if (!user || user.credentialVersion !== claims.credentialVersion) {
    throw new AppError('unauthenticated', 'Token no longer valid (the account was deleted or its password changed); log in again');
  }
  return { userId: claims.userId, role: user.role };
}

/** The bearer token, or on the console's routes the session cookie (whose state-changing requests need CSRF). */
function tokenOf(c: Context<AppEnv>): string {
  const header = c.req.header('authorization');
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (match) return match[1]!;
  const session = header === undefined && acceptsSessionCookie(c.req.path) ? sessionToken(c) : undefined;
  if (!session) throw new AppError('unauthenticated', 'Authentication required: send an Authorization: Bearer <token> header');
  if (isStateChanging(c.req.method) && !hasValidCsrfToken(c, c.get('authConfig'), session)) {
    throw new AppError('forbidden', `A request authenticated by the session cookie must carry its ${CSRF_HEADER} header`);
  }
  return session;
}

export const authenticated = createMiddleware<AppEnv>(async (c, next) => {
  const { userId, role } = await userOfToken(c, tokenOf(c));
  c.set('userId', userId);
  c.set('role', role);
  await next();
});

/** Admin-only routes: the operator's routes under /api/admin (after `authenticated`). */
export const adminOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('role') !== 'admin') throw new AccessDeniedError('Only an admin may do this');
  await next();
});

/** Product writes: any authenticated user, or only admins, as PRODUCT_WRITE_ACCESS says (after `authenticated`). */
export const catalogueWriter = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('authConfig').PRODUCT_WRITE_ACCESS === 'admin' && c.get('role') !== 'admin') {
    throw new AccessDeniedError('Only an admin may change the catalogue (PRODUCT_WRITE_ACCESS=admin)');
  }
  await next();
});

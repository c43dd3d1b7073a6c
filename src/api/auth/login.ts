// Checking an e-mail and password, for every way of logging in (POST /api/auth/login and the operator console's
// POST /ops/session): one throttle and one set of answers, so neither door is easier to guess through than the other.
// Unknown e-mail and wrong password give the same answer and take the same time (a dummy hash is verified when the
// user does not exist).
import type { Context } from 'hono';
import { User, type IUser } from '../../db/entities.ts';
import { dummyHash, verifyPassword } from '../../users/password.ts';
import { entityManager, type AppEnv } from '../context.ts';
import { AppError } from '../errors.ts';
import type { LoginThrottle } from './login-throttle.ts';

/** The peer address of the connection (no proxy header is trusted); in-process requests have none. */
export function clientAddress(c: Context<AppEnv>): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}

/** The user the credentials belong to; throws 429 (throttled) or 401 (the same for unknown e-mail and wrong password). */
export async function checkLogin(c: Context<AppEnv>, throttle: LoginThrottle, email: string, password: string): Promise<IUser> {
  const account = email.trim().toLowerCase();
  const verdict = throttle.attempt(account, clientAddress(c));
  if (!verdict.allowed) {
    throw new AppError('rate-limited', verdict.reason, { headers: { 'Retry-After': String(verdict.retryAfterSeconds) } });
  }
  const user = await entityManager(c).findOne(User, { email: account }, { populate: ['passwordHash'] });
  const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
  if (!user || !valid) {
    throttle.failed(account);
    throw new AppError('unauthenticated', 'Invalid email or password');
  }
  throttle.succeeded(account);
  return user;
}

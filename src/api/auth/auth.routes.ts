// POST /api/auth/login: e-mail + password → JWT. Unknown e-mail and wrong password give the same answer and take
// the same time (a dummy hash is verified when the user does not exist). Throttled per account and per client
// address (login-throttle.ts).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { User } from '../../db/entities.ts';
import { entityManager, type AppEnv } from '../context.ts';
import { toUserDto } from '../dto.ts';
import { AppError } from '../errors.ts';
import { errors, jsonBody, ok, route, router } from '../openapi.ts';
import { LoginRequest, LoginResponse } from '../schemas.ts';
import { dummyHash, verifyPassword } from '../../users/password.ts';
import { LoginThrottle, type LoginThrottleConfig } from './login-throttle.ts';
import { issueToken, type TokenConfig } from './tokens.ts';

const login = route({
  method: 'post',
  path: '/api/auth/login',
  operationId: 'login',
  access: 'public',
  tags: ['Auth'],
  summary: 'Log in and receive a bearer token',
  description: 'Throttled: too many failed logins for one account, or attempts from one address, answer 429 with Retry-After.',
  request: { body: jsonBody(LoginRequest) },
  responses: { 200: ok(LoginResponse, 'Token and the logged-in user'), ...errors(401, 429) },
});

/** The peer address of the connection (no proxy header is trusted); in-process requests have none. */
function clientAddress(c: Context<AppEnv>): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}

export function authRoutes(config: TokenConfig & LoginThrottleConfig): OpenAPIHono<AppEnv> {
  const app = router();
  const throttle = new LoginThrottle(config);
  app.openapi(login, async (c) => {
    const { email, password } = c.req.valid('json');
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
    return c.json({ token: issueToken(config, user), user: toUserDto(user) }, 200);
  });
  return app;
}

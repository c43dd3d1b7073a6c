// POST /api/auth/login: e-mail + password → JWT. Unknown e-mail and wrong password give the same answer and take
// the same time (login.ts). Throttled per account and per client address (login-throttle.ts), with the throttle the
// operator console's login shares.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.ts';
import { toUserDto } from '../dto.ts';
import { errors, jsonBody, ok, route, router } from '../openapi.ts';
import { LoginRequest, LoginResponse } from '../schemas.ts';
import { checkLogin } from './login.ts';
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

export function authRoutes(config: TokenConfig & LoginThrottleConfig, throttle = new LoginThrottle(config)): OpenAPIHono<AppEnv> {
  const app = router();
  app.openapi(login, async (c) => {
    const { email, password } = c.req.valid('json');
    const user = await checkLogin(c, throttle, email, password);
    return c.json({ token: issueToken(config, user), user: toUserDto(user) }, 200);
  });
  return app;
}

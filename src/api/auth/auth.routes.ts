// POST /api/auth/login: e-mail + password → JWT. Unknown e-mail and wrong password give the same answer and take
// the same time (a dummy hash is verified when the user does not exist).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { User } from '../../db/entities.ts';
import type { AppEnv } from '../context.ts';
import { toUserDto } from '../dto.ts';
import { AppError } from '../errors.ts';
import { errors, jsonBody, ok, route, router } from '../openapi.ts';
import { LoginRequest, LoginResponse } from '../schemas.ts';
import { dummyHash, verifyPassword } from '../../users/password.ts';
import { issueToken, type TokenConfig } from './tokens.ts';

const login = route({
  method: 'post',
  path: '/api/auth/login',
  access: 'public',
  tags: ['Auth'],
  summary: 'Log in and receive a bearer token',
  request: { body: jsonBody(LoginRequest) },
  responses: { 200: ok(LoginResponse, 'Token and the logged-in user'), ...errors(400, 401) },
});

export function authRoutes(config: TokenConfig): OpenAPIHono<AppEnv> {
  const app = router();
  app.openapi(login, async (c) => {
    const { email, password } = c.req.valid('json');
    const user = await c.var.em.findOne(User, { email: email.trim().toLowerCase() }, { populate: ['passwordHash'] });
    const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
    if (!user || !valid) throw new AppError(401, 'Invalid email or password');
    return c.json({ token: issueToken(config, user.id, user.email), user: toUserDto(user) }, 200);
  });
  return app;
}

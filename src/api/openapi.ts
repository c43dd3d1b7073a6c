// Route definitions and routers. Every route states who may call it (`access`), and `route()` turns that into both
// the OpenAPI security requirement and the bearer-auth middleware, so the document and the enforcement cannot drift
// and no list of protected paths exists anywhere. Routers share the validation-error answer (400 with the fields).
import { createRoute, OpenAPIHono, type RouteConfig, type z } from '@hono/zod-openapi';
import { authenticated } from './auth/auth.middleware.ts';
import type { AppEnv } from './context.ts';
import { Message } from './schemas.ts';

export const jsonBody = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });

export const ok = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });

const errorTexts: Record<number, string> = {
  400: 'Invalid request (validation failed or malformed JSON)',
  401: 'Missing, invalid or expired token',
  403: 'The resource belongs to another user',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'Request body too large',
  422: 'Cannot be processed (unknown product or insufficient stock)',
  503: 'A service the request needs is unavailable right now; retry later',
};

/** Error responses a route can give, all shaped { message, ...details }. */
export const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, ok(Message, errorTexts[code] ?? 'Error')])) as Record<number, ReturnType<typeof ok>>;

/** `public`: anyone; `authenticated`: a valid bearer token (the caller's id is then `c.var.userId`). */
export type Access = 'public' | 'authenticated';

export function route<const R extends Omit<RouteConfig, 'security' | 'middleware'>>(config: R & { access: Access }): R {
  const { access, ...definition } = config;
  const auth = access === 'authenticated' ? { security: [{ Bearer: [] }], middleware: [authenticated] } : {};
  return createRoute({ ...(definition as unknown as RouteConfig), ...auth }) as unknown as R;
}

/** A router for one resource; createApp mounts it. */
export function router(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
      return c.json({ message: `Validation failed: ${summary}`, errors: issues }, 400);
    },
  });
}

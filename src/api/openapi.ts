// Route definitions and routers. Every route states its operationId and who may call it (`access`, authenticated
// unless the definition says public), and `route()` turns that into the OpenAPI security requirement, the auth
// middleware and the error answers the route can give, so the document and the enforcement cannot drift and no list
// of protected paths exists anywhere. Routers share the validation-error answer (400 problem with the fields).
import { createRoute, OpenAPIHono, type RouteConfig, type z } from '@hono/zod-openapi';

/** Response headers as the OpenAPI document lists them. */
type HeadersObject = Record<string, { description: string; schema: { type: 'string' | 'integer'; minimum?: number } }>;
import { adminOnly, authenticated, catalogueWriter } from './auth/auth.middleware.ts';
import type { AppEnv } from './context.ts';
import { PROBLEM_MEDIA_TYPE, problem } from './errors.ts';
import { Problem } from './schemas.ts';

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  required: true,
  ...(description ? { description } : {}),
  content: { 'application/json': { schema } },
});

/**
 * An OpenAPI link: which operation the response leads to, with its path id taken from the response body (or from
 * the request's path). Clients and the stateful fuzzer follow them (create → read → pay/cancel → delete → read).
 */
export const link = (operationId: string, from: 'body' | 'path' = 'body', requestBody?: Record<string, unknown>) => ({
  operationId,
  parameters: { 'path.id': from === 'body' ? '$response.body#/id' : '$request.path.id' },
  ...(requestBody ? { requestBody } : {}),
});

type Links = Record<string, { operationId: string; parameters: Record<string, string>; requestBody?: unknown }>;

export const ok = <T extends z.ZodType>(schema: T, description: string, headers?: HeadersObject, links?: Links) => ({
  content: { 'application/json': { schema } },
  description,
  ...(headers ? { headers } : {}),
  ...(links ? { links } : {}),
});

const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' as const, minimum: 1 } } };

const errorTexts: Record<number, string> = {
  400: 'Invalid request: a field fails validation (`errors` lists them), the JSON is malformed, or ids disagree',
  401: 'Missing, invalid or expired token, or one issued before a password change',
  403: 'Not allowed for this user (another user’s resource, or an admin-only action)',
  404: 'Not found',
  409: 'Conflicts with the current state (`currentStatus` / `orderCount` say why)',
  413: 'Request body larger than BODY_LIMIT_BYTES',
  415: 'The body is not application/json',
  422: 'Well-formed but breaks a business rule (unknown product, insufficient stock, amount too large, …)',
  429: 'Too many attempts; Retry-After says when to try again',
  500: 'Unexpected server fault (details are in the server log under `requestId`)',
  503: 'A service the request needs is unavailable right now; Retry-After says when to try again',
};

const problemResponse = (code: number) => ({
  content: { [PROBLEM_MEDIA_TYPE]: { schema: Problem } },
  description: errorTexts[code] ?? 'Error',
  ...(code === 429 || code === 503 ? { headers: retryAfter } : {}),
});

/** Error responses (RFC 9457 problem details) for the given status codes. */
export const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, problemResponse(code)]));

/**
 * `public`: anyone; `authenticated`: a valid bearer token of a live user (the caller's id and role are then
 * `c.get('userId')` / `c.get('role')`); `catalogue-write`: authenticated, and an admin when PRODUCT_WRITE_ACCESS=admin;
 * `admin`: authenticated as an admin (the operator console's session cookie is accepted too, see auth.middleware.ts).
 */
export type Access = 'public' | 'authenticated' | 'catalogue-write' | 'admin';

const middlewareOf = {
  authenticated: [authenticated],
  'catalogue-write': [authenticated, catalogueWriter],
  admin: [authenticated, adminOnly],
};

type RouteInput = Omit<RouteConfig, 'security' | 'middleware'> & { access?: Access; operationId: string };

/** The errors every route of its kind can give, whatever its handler does. */
function impliedErrors(definition: RouteConfig, access: Access): number[] {
  const codes = [500, 503];
  if (definition.request?.body) codes.push(400, 413, 415);
  if (definition.request?.params || definition.request?.query || definition.request?.headers) codes.push(400);
  if (access !== 'public') codes.push(401);
  if (access === 'catalogue-write' || access === 'admin') codes.push(403);
  return [...new Set(codes)];
}

export function route<const R extends RouteInput>(config: R): Omit<R, 'access'> {
  const { access = 'authenticated', ...rest } = config;
  const definition = rest as unknown as RouteConfig;
  const responses = { ...errors(...impliedErrors(definition, access)), ...definition.responses };
  const auth = access === 'public' ? {} : { security: [{ Bearer: [] }], middleware: middlewareOf[access] };
  return createRoute({ ...definition, responses, ...auth }) as unknown as Omit<R, 'access'>;
}

/** A router for one resource; createApp mounts it. */
export function router(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
      return problem(c, 'validation-failed', `Validation failed: ${summary}`, { errors: issues });
    },
  });
}

// Small builders for route definitions so each route reads as verb, path, input and outcomes.
import { createRoute, type RouteConfig, type z } from '@hono/zod-openapi';
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
};

/** Error responses a route can give, all shaped { message, ...details }. */
export const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, ok(Message, errorTexts[code] ?? 'Error')])) as Record<number, ReturnType<typeof ok>>;

export const bearer = [{ Bearer: [] }];

export function route<const R extends RouteConfig>(config: R) {
  return createRoute(config);
}

// The operator console's browser session: the JWT from a login, kept in an HttpOnly cookie so it never appears in a
// URL, a page or script-readable storage. Because a browser attaches a cookie to every request to its site, a request
// it authenticates may be forged by another page; so the cookie is SameSite=Strict, it is accepted only on the routes
// the console uses (ACCEPTS_COOKIE), and every state-changing request it authenticates must carry X-CSRF-Token.
//
// The CSRF token is derived from the session token (an HMAC with JWT_SECRET), so the server checks it without storing
// anything, and a token taken from one session is worthless for another. The page learns it from a non-HttpOnly
// cookie (and the console page embeds it too); another site can neither read that cookie nor set the header.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { TokenConfig } from './tokens.ts';

export const SESSION_COOKIE = 'ops_session';
export const CSRF_COOKIE = 'ops_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

/** Where the session cookie stands in for a bearer token: the admin API, the console, and an order's timeline. */
const ACCEPTS_COOKIE = [/^\/api\/admin(\/|$)/, /^\/ops(\/|$)/, /^\/api\/order\/\d+\/timeline$/];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const acceptsSessionCookie = (path: string): boolean => ACCEPTS_COOKIE.some((p) => p.test(path));
export const isStateChanging = (method: string): boolean => !SAFE_METHODS.has(method.toUpperCase());

/** The session token from the cookie, if any. */
export const sessionToken = (c: Context): string | undefined => getCookie(c, SESSION_COOKIE) || undefined;

/** The CSRF token that belongs to a session token. */
export function csrfTokenFor(config: Pick<TokenConfig, 'JWT_SECRET'>, session: string): string {
  return createHmac('sha256', config.JWT_SECRET).update(`ops-csrf:${session}`).digest('base64url');
}

/** Whether the request's X-CSRF-Token is the one of its session (compared in constant time). */
export function hasValidCsrfToken(c: Context, config: Pick<TokenConfig, 'JWT_SECRET'>, session: string): boolean {
  const sent = Buffer.from(c.req.header(CSRF_HEADER) ?? '');
  const expected = Buffer.from(csrfTokenFor(config, session));
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

const isHttps = (c: Context) => new URL(c.req.url).protocol === 'https:';

/** Sets the session and CSRF cookies for `maxAgeSeconds` (the token's own lifetime); returns the CSRF token. */
export function startSession(c: Context, config: Pick<TokenConfig, 'JWT_SECRET'>, session: string, maxAgeSeconds: number): string {
  const csrf = csrfTokenFor(config, session);
  const common = { path: '/', sameSite: 'Strict', secure: isHttps(c), maxAge: maxAgeSeconds } as const;
  setCookie(c, SESSION_COOKIE, session, { ...common, httpOnly: true });
  setCookie(c, CSRF_COOKIE, csrf, common);
  return csrf;
}

export function endSession(c: Context): void {
  const common = { path: '/', sameSite: 'Strict', secure: isHttps(c) } as const;
  deleteCookie(c, SESSION_COOKIE, { ...common, httpOnly: true });
  deleteCookie(c, CSRF_COOKIE, common);
}

// The operator console at /ops (outside the OpenAPI document, like /docs): the page, its static files, and the
// browser session it runs on. POST /ops/session checks the e-mail and password exactly as POST /api/auth/login does
// (the same throttle) and keeps the token in an HttpOnly, SameSite=Strict cookie for the token's lifetime, so it never
// appears in a URL or in the page; DELETE /ops/session (or a form POST to /ops/logout) ends the session. The login
// form works without script: it posts, and a successful login redirects (303) to /ops.
import type { Context, Hono } from 'hono';
import type { AppEnv } from '../context.ts';
import { AppError, problem } from '../errors.ts';
import { checkLogin } from '../auth/login.ts';
import type { LoginThrottle } from '../auth/login-throttle.ts';
import { userOfToken } from '../auth/auth.middleware.ts';
import { csrfTokenFor, endSession, hasValidCsrfToken, sessionToken, startSession } from '../auth/session-cookie.ts';
import { issueToken, type TokenConfig } from '../auth/tokens.ts';
import { toUserDto } from '../dto.ts';
import { ASSETS, asset, CONSOLE_CSP, consolePage, forbiddenPage, loginPage } from './ops-pages.ts';

type Credentials = { email: string; password: string } | undefined;

/** The login request as a form (the page without script) or JSON; undefined unless both fields are there. */
async function credentialsOf(c: Context<AppEnv>, form: boolean): Promise<Credentials> {
  const body: Record<string, unknown> = form ? await c.req.parseBody() : await c.req.json<Record<string, unknown>>().catch(() => ({}));
  const { email, password } = body;
  return typeof email === 'string' && typeof password === 'string' && email && password ? { email, password } : undefined;
}

/**
 * A login posted from another site's page would log this browser into someone else's account: refused. Browsers say
 * where a request comes from in Sec-Fetch-Site; without it, a real Origin must name this host. (Origin alone is not
 * enough: under this app's Referrer-Policy: no-referrer a browser sends `Origin: null` even for its own form.)
 */
function sameOrigin(c: Context<AppEnv>): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = c.req.header('origin');
  if (origin === undefined || !URL.canParse(origin)) return true;
  return new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
}

/** The page's answer for a browser: no caching, no framing, no inline code. */
function page(c: Context<AppEnv>, html: string, status: 200 | 401 | 403 | 429 = 200): Response {
  c.header('Content-Security-Policy', CONSOLE_CSP);
  c.header('Cache-Control', 'no-store');
  return c.html(html, status);
}

export function opsRoutes(app: Hono<AppEnv>, config: TokenConfig, throttle: LoginThrottle): void {
  const maxAgeSeconds = Math.max(1, Math.floor(config.JWT_EXPIRES_IN / 1000));

  /** Who the session cookie names, or undefined when there is none or it is no longer valid. */
  const sessionUser = async (c: Context<AppEnv>) => {
    const token = sessionToken(c);
    if (!token) return undefined;
    try {
      return { token, ...(await userOfToken(c, token)) };
    } catch (err) {
      if (err instanceof AppError && err.code === 'unauthenticated') return undefined;
      throw err;
    }
  };

  app.get('/ops', async (c) => {
    const user = await sessionUser(c);
    if (!user) {
      if (sessionToken(c)) endSession(c);
      return page(c, loginPage());
    }
    const csrf = csrfTokenFor(config, user.token);
    if (user.role !== 'admin') return page(c, forbiddenPage(csrf), 403);
    return page(c, await consolePage(csrf));
  });

  app.post('/ops/session', async (c) => {
    if (!sameOrigin(c)) throw new AppError('forbidden', 'A login must come from this site');
    const form = !(c.req.header('content-type') ?? '').includes('application/json');
    const credentials = await credentialsOf(c, form);
    try {
      if (!credentials) throw new AppError('validation-failed', 'Send an e-mail and a password');
      const user = await checkLogin(c, throttle, credentials.email, credentials.password);
      const token = issueToken(config, user);
      const csrfToken = startSession(c, config, token, maxAgeSeconds);
      if (form) return c.redirect('/ops', 303);
      return c.json({ user: toUserDto(user), csrfToken, expiresAt: new Date(Date.now() + maxAgeSeconds * 1000).toISOString() }, 200);
    } catch (err) {
      if (!form || !(err instanceof AppError)) throw err;
      for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
      return page(c, loginPage(err.message), err.code === 'rate-limited' ? 429 : 401);
    }
  });

  const logout = (form: boolean) => async (c: Context<AppEnv>) => {
    const token = sessionToken(c);
    if (token) {
      const fromForm = form ? (await c.req.parseBody()).csrf : undefined;
      const valid = typeof fromForm === 'string' ? fromForm === csrfTokenFor(config, token) : hasValidCsrfToken(c, config, token);
      if (!valid) return problem(c, 'forbidden', 'Ending the session needs its X-CSRF-Token');
      endSession(c);
    }
    return form ? c.redirect('/ops', 303) : c.body(null, 204);
  };
  app.delete('/ops/session', logout(false));
  app.post('/ops/logout', logout(true));

  app.get('/ops/assets/:name', async (c) => {
    const name = c.req.param('name');
    const type = ASSETS[name];
    if (!type) return problem(c, 'not-found', `Route GET ${c.req.path} not found`);
    c.header('content-type', type);
    c.header('cache-control', 'no-cache');
    return c.body(await asset(name));
  });
}

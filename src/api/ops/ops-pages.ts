// The operator console's server-rendered pages: the login form, the page a non-admin gets, and the console itself
// (console.html with the session's CSRF token filled in). Everything else the console shows is drawn by its script
// from the admin API. No inline script or style, so the Content-Security-Policy below can forbid both.
import { readFile } from 'node:fs/promises';
import { EVENT_TOPICS, REASON_CODES } from '../../dead-letters/dead-letter-filter.ts';

const here = new URL('./', import.meta.url);

/** Scripts, styles and requests from this origin only; no frames, no inline code, forms post here only. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The console's static files, by name: content type. */
export const ASSETS: Record<string, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'ops-api.js': 'text/javascript; charset=utf-8',
  'admin-panels.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

const cache = new Map<string, Promise<string>>();
/** A file of this folder, read once. */
export function asset(name: string): Promise<string> {
  let text = cache.get(name);
  if (!text) cache.set(name, (text = readFile(new URL(name, here), 'utf8')));
  return text;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

const frame = (title: string, body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · order-saga operator console</title>
<link rel="stylesheet" href="/ops/assets/console.css">
</head>
<body class="narrow">
<main>
${body}
</main>
</body>
</html>`;

export function loginPage(message?: string): string {
  const error = message ? `<p class="error" role="alert">${escape(message)}</p>` : '';
  return frame(
    'Log in',
    `<h1>Operator console</h1>
<p>Log in with an admin account.</p>
${error}
<form method="post" action="/ops/session" class="login">
  <label for="email">E-mail</label>
  <input id="email" name="email" type="email" autocomplete="username" required>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Log in</button>
</form>`,
  );
}

/** For a logged-in user who is not an admin; logging out needs the CSRF token, so the form carries it. */
export function forbiddenPage(csrfToken: string): string {
  return frame(
    'Admins only',
    `<h1>Admins only</h1>
<p id="forbidden">The operator console is for admins. This account is not one.</p>
<form method="post" action="/ops/logout">
  <input type="hidden" name="csrf" value="${escape(csrfToken)}">
  <button type="submit">Log out</button>
</form>`,
  );
}

const options = (values: readonly string[]) => values.map((v) => `<option value="${escape(v)}">${escape(v)}</option>`).join('');

/** console.html with the session's CSRF token, and the redrive form's choices: the topics and reason codes the API takes. */
export async function consolePage(csrfToken: string): Promise<string> {
  return (await asset('console.html'))
    .replaceAll('{{csrfToken}}', escape(csrfToken))
    .replace('{{topicOptions}}', options(EVENT_TOPICS))
    .replace('{{reasonOptions}}', options(REASON_CODES));
}

// Swagger UI at /docs, served from the swagger-ui-dist package (no CDN, so it also works offline), reading
// /openapi.json. Authorize with the token from POST /api/auth/login to try the protected routes.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';
import type { AppEnv } from './context.ts';
import { problem } from './errors.ts';

const distDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
};

const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>order-saga API</title><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script>
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });
</script>
</body>
</html>`;

export function docsRoutes(app: Hono<AppEnv>): void {
  app.get('/docs', (c) => c.html(page));
  app.get('/docs/:asset', async (c) => {
    const name = c.req.param('asset');
    const type = assets[name];
    if (!type) return problem(c, 'not-found', `Route GET ${c.req.path} not found`);
    c.header('content-type', type);
    c.header('cache-control', 'public, max-age=86400');
    return c.body(await readFile(join(distDir, name)));
  });
}

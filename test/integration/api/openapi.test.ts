// The published API description: an OpenAPI 3.1 document at /openapi.json covering every route of the contract,
// with bearer authentication declared, and the interactive documentation at /docs. Both are public.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import { expectStatus } from './support.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

type OpenApiDocument = {
  openapi: string;
  info?: { title?: string };
  paths: Record<string, Record<string, unknown>>;
  components?: { securitySchemes?: Record<string, { type?: string; scheme?: string }> };
};

const CONTRACT_ROUTES: Record<string, string[]> = {
  '/api/auth/login': ['post'],
  '/api/user': ['put', 'post'],
  '/api/user/{id}': ['get', 'delete'],
  '/api/product': ['get', 'put'],
  '/api/product/{id}': ['get', 'post', 'delete'],
  '/api/order': ['get', 'put'],
  '/api/order/{id}': ['get', 'post', 'delete'],
};

describe('GET /openapi.json', () => {
  let doc: OpenApiDocument;
  beforeAll(async () => {
    const res = await api.request<OpenApiDocument>('GET', '/openapi.json');
    expectStatus(res, 200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    doc = res.body;
  });

  it('when fetched without a token, then it is an OpenAPI 3.1 document', () => {
    expect(doc.openapi).toMatch(/^3\.1/);
  });

  it.each(Object.entries(CONTRACT_ROUTES))('when the paths are listed, then %s documents %j', (path, methods) => {
    expect(Object.keys(doc.paths)).toContain(path);
    expect(Object.keys(doc.paths[path]!)).toEqual(expect.arrayContaining(methods));
  });

  it('when the security schemes are listed, then an HTTP bearer scheme is declared', () => {
    const schemes = Object.values(doc.components?.securitySchemes ?? {});

    expect(schemes).toContainEqual(expect.objectContaining({ type: 'http', scheme: expect.stringMatching(/^bearer$/i) }));
  });
});

describe('GET /docs', () => {
  it('when fetched without a token, then 200 with an HTML page', async () => {
    const res = await api.request('GET', '/docs');

    expectStatus(res, 200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toMatch(/<html/i);
  });
});

describe('the document is the contract', () => {
  type Operation = {
    operationId?: string;
    security?: unknown[];
    requestBody?: unknown;
    parameters?: Array<{ name: string; in: string; schema: { type?: string; minimum?: number; maximum?: number } }>;
    responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
  };
  let operations: Array<{ route: string; op: Operation }>;
  beforeAll(async () => {
    const doc = (await api.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
  });

  it('when any operation is read, then it has an operationId and documents 500 and 503 as problem documents', () => {
    for (const { route, op } of operations) {
      expect({ route, operationId: typeof op.operationId }).toEqual({ route, operationId: 'string' });
      for (const status of ['500', '503']) {
        expect({ route, status, types: Object.keys(op.responses[status]?.content ?? {}) }).toEqual({
          route,
          status,
          types: [status === '503' && route.endsWith(' /ready') ? 'application/json' : 'application/problem+json'],
        });
      }
    }
  });

  it('when an operation needs a token, takes a body or takes parameters, then 401, 413/415 and 400 are documented', () => {
    for (const { route, op } of operations) {
      const documented = Object.keys(op.responses);
      if (op.security?.length) expect({ route, has401: documented.includes('401') }).toEqual({ route, has401: true });
      if (op.requestBody)
        expect({ route, codes: ['400', '413', '415'].filter((c) => documented.includes(c)) }).toEqual({
          route,
          codes: ['400', '413', '415'],
        });
      if (op.parameters?.length) expect({ route, has400: documented.includes('400') }).toEqual({ route, has400: true });
    }
  });

  it('when a path id is declared, then it is an integer from 1 to 2147483647, the range the server enforces', () => {
    const ids = operations.flatMap(({ op }) => (op.parameters ?? []).filter((p) => p.in === 'path' && p.name === 'id'));
    expect(ids.length).toBeGreaterThanOrEqual(10);
    for (const id of ids) expect(id.schema).toEqual(expect.objectContaining({ type: 'integer', minimum: 1, maximum: 2147483647 }));
  });

  it('when a list operation is read, then it takes limit and cursor and documents the Link header', () => {
    for (const route of ['GET /api/order', 'GET /api/product', 'GET /api/notification']) {
      const { op } = operations.find((o) => o.route === route)!;
      expect((op.parameters ?? []).map((p) => p.name)).toEqual(expect.arrayContaining(['limit', 'cursor']));
      expect(Object.keys(op.responses['200']?.headers ?? {})).toContain('Link');
    }
  });
});

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

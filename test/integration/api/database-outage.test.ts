// PostgreSQL going away under a running API: the app reaches the database through a TCP proxy this test controls.
// While the proxy is down every request that needs the database answers 503 with Retry-After (never a 500, and a
// client mistake stays 4xx), each logged as an error with its request id; once it is back, requests succeed again.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import { freeLoopbackPort } from '../../../src/lib/free-port.ts';
import { eventually } from '../../helpers/eventually.ts';
import { cuttableProxy, type CuttableProxy } from '../../helpers/tcp-proxy.ts';

const target = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://invalid');
let proxy: CuttableProxy;

const errors: Array<{ msg: string; requestId?: string }> = [];
const log = pino({ level: 'error', base: undefined }, { write: (line: string) => void errors.push(JSON.parse(line)) });

let api: TestApi;
let token: string;
beforeAll(async () => {
  const port = await freeLoopbackPort();
  proxy = cuttableProxy(target, port);
  await proxy.open();
  const url = new URL(target);
  url.port = String(port);
  url.hostname = '127.0.0.1';
  api = await startTestApi({ DATABASE_URL: url.toString() }, { log });
  token = (await api.newUser('Outage Reader')).token;
});
afterAll(async () => {
  if (!proxy.listening) await proxy.open();
  await api?.close();
  await proxy.cut();
});

describe('when PostgreSQL becomes unreachable', () => {
  it('then reads and writes answer 503 with Retry-After, each logged with its request id, and a client mistake stays 400', async () => {
    await proxy.cut();

    for (const [method, path, body] of [
      ['GET', '/api/product', undefined],
      ['PUT', '/api/order', { items: [{ productId: 1, quantity: 1 }] }],
    ] as const) {
      const res = await api.request(method, path, { token, ...(body ? { body } : {}) });
      expect({ path, status: res.status }).toEqual({ path, status: 503 });
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body).toEqual(
        expect.objectContaining({
          code: 'unavailable',
          message: expect.stringMatching(/temporarily unavailable/),
          requestId: expect.any(String),
        }),
      );
      expect(errors).toContainEqual(expect.objectContaining({ msg: 'database unreachable', requestId: res.body.requestId }));
    }
    // Authenticating needs the database (the token's user is looked up), so the client mistake shown is on login.
    const mistake = await api.request('POST', '/api/auth/login', { rawBody: '{not json' });
    expect(mistake.status).toBe(400);
  });

  it('then, once it is back, the same requests succeed again', async () => {
    await proxy.open();
    await eventually(
      async () => (await api.request('GET', '/api/product', { token })).status,
      (status) => status === 200,
      { what: 'GET /api/product answering 200 again' },
    );
  });
});

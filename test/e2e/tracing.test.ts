// Tracing in the running app (every role in one process, its own workflow bundle with Temporal's interceptors): with
// OTEL_EXPORTER_OTLP_ENDPOINT set, an order's spans leave the process over OTLP http/protobuf. A sink of this test's
// own keeps the raw exports; they carry the caller's trace id and the span of every hop, workflow spans included.
// That the hops share that one trace id is proven span by span in test/integration/tracing.test.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type RunningApp } from '../helpers/app-process.ts';
import { eventually } from '../helpers/eventually.ts';

const exports: Buffer[] = [];
let sink: Server;
let app: RunningApp | undefined;

beforeAll(async () => {
  sink = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') exports.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  app = await startApp({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, PAYMENT_SUCCESS_RATE: '1', PAYMENT_DURATION: '0' });
});
afterAll(async () => {
  await app?.stop();
  await new Promise((resolve) => sink?.close(resolve));
});

async function call<T>(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${app!.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

describe('when the app runs with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  it('then an order placed under a caller’s traceparent is exported over OTLP with that trace id, from the request to the notifier', async () => {
    const email = `e2e-trace-${process.pid}-${Date.now()}@example.com`;
    expect((await call('PUT', '/api/user', undefined, { name: 'Traced', email, password: 'Secret123!' })).status).toBe(201);
    const { token } = (await call<{ token: string }>('POST', '/api/auth/login', undefined, { email, password: 'Secret123!' })).body;
    const product = (await call<{ id: number }>('PUT', '/api/product', token, { name: `Traced ${email}`, price: 3.5, stock: 5 })).body;
    const traceId = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
    const placed = await call<{ id: number }>(
      'PUT',
      '/api/order',
      token,
      { items: [{ productId: product.id, quantity: 1 }] },
      {
        traceparent: `00-${traceId}-0102030405060708-01`,
      },
    );
    expect(placed.status).toBe(201);
    await eventually(
      async () => (await call<Array<{ orderId: number }>>('GET', '/api/notification', token)).body,
      (list) => list.some((n) => n.orderId === placed.body.id),
      { what: `notification of order ${placed.body.id}`, timeoutMs: 60_000 },
    );
    // Stopping the process exports what its batch processor still holds.
    await app!.stop();
    app = undefined;

    const all = Buffer.concat(exports);
    // OTLP/protobuf keeps a trace id as its 16 raw bytes and names as UTF-8 strings.
    expect(all.includes(Buffer.from(traceId, 'hex'))).toBe(true);
    for (const name of [
      'order-saga',
      'PUT /api/order',
      'publish ',
      'bridge ',
      'StartWorkflow:orderWorkflow',
      'RunWorkflow:orderWorkflow',
      'RunActivity:chargePayment',
      'RunActivity:completeOrder',
      'notifier ',
    ])
      expect({ name, exported: all.includes(Buffer.from(name)) }).toEqual({ name, exported: true });
  });
});

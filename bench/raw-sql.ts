// The api suite's two references, the same database work without the API:
//   - placeOrderRaw / readProductRaw: the SQL the API sends, done with node-postgres directly (the raw loop);
//   - serveBare: those two behind a bare node:http server with no framework, auth, validation, logging or metrics
//     (`node bench/raw-sql.ts <port>`), so HTTP parsing and the load generator's own cost are measured apart from ours.
import http from 'node:http';
import pg from 'pg';
import { formatCents, toCents } from '../src/domain/money.ts';
import { TOPICS } from '../src/messaging/topics.ts';

/** PUT /api/order's transaction in raw SQL, statement for statement as the API sends it (src/orders/order.service.ts). */
export async function placeOrderRaw(pool: pg.Pool, userId: number, productId: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const quantity = 1;
    const identity = await client.query<{ id: number; created_at: string }>(
      `select nextval(pg_get_serial_sequence('orders', 'id'))::int as id, to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at`,
    );
    const { id: orderId, created_at: createdAt } = identity.rows[0]!;
    const reserved = await client.query<{ name: string; price: string }>(
      'update products set stock = stock - $1 where id = $2 and stock >= $3 returning name, price',
      [quantity, productId, quantity],
    );
    const product = reserved.rows[0];
    if (!product) throw new Error(`no stock for product ${productId}`);
    const total = formatCents(toCents(product.price) * BigInt(quantity));
    const event = { type: 'OrderCreated', version: 1, orderId, userId, total, createdAt };
    await client.query(
      `with placed as (insert into orders (id, user_id, total, status, created_at, updated_at) values ($1, $2, $3, 'Pending', now(), now())),
            announced as (insert into outbox (order_id, topic, message_key, payload, trace_context) values ($1, $4, $5, $6, null))
       insert into order_items (order_id, product_id, quantity, price, created_at, updated_at)
       values ($1, $7, $8, $9, now(), now()) returning id, product_id, quantity, price::text as price`,
      [orderId, userId, total, TOPICS.orderCreated, String(orderId), JSON.stringify(event), productId, quantity, product.price],
    );
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** GET /api/product/{id}'s statement (the shape MikroORM sent before the route went to plain SQL). */
export async function readProductRaw(pool: pg.Pool, id: number): Promise<Record<string, unknown> | undefined> {
  const { rows } = await pool.query<Record<string, unknown>>('select "p0".* from "products" as "p0" where "p0"."id" = $1 limit 1', [id]);
  return rows[0];
}

/**
 * GET /api/product/{id} and PUT /api/order (body: { items: [{ productId }] }, one item, quantity 1, placed for
 * `userId`) on `port`, each answered with JSON from the raw functions above.
 */
export function serveBare(pool: pg.Pool, userId: number, port: number): Promise<http.Server> {
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  };
  const server = http.createServer((req, res) => {
    if (req.url === '/health') return send(res, 200, { status: 'ok' });
    const product = /^\/api\/product\/(\d+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && product) {
      readProductRaw(pool, Number(product[1])).then(
        (row) => (row ? send(res, 200, row) : send(res, 404, { error: 'not found' })),
        (err: unknown) => send(res, 500, { error: String(err) }),
      );
      return;
    }
    if (req.method === 'PUT' && req.url === '/api/order') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { items: Array<{ productId: number }> };
        placeOrderRaw(pool, userId, body.items[0]!.productId).then(
          () => send(res, 201, { ok: true }),
          (err: unknown) => send(res, 500, { error: String(err) }),
        );
      });
      return;
    }
    send(res, 404, { error: 'not found' });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

// As its own process: DATABASE_URL, DB_POOL_MAX and BARE_USER_ID from the environment; GET /health answers 200.
if (import.meta.main) {
  const port = Number(process.argv[2]);
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 20) });
  const server = await serveBare(pool, Number(process.env.BARE_USER_ID), port);
  process.on('SIGTERM', () => server.close(() => void pool.end()));
}

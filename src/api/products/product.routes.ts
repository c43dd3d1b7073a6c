// /api/product: the catalogue. Any logged-in user may read it; who may change it is PRODUCT_WRITE_ACCESS (any logged-in
// user, the original contract, or admins only: the default in production).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Product } from '../../db/entities.ts';
import { formatCents, toCents } from '../../domain/money.ts';
import { db, entityManager, type AppEnv } from '../context.ts';
import { toProductDto } from '../dto.ts';
import { notFound } from '../../domain/errors.ts';
import { isoTimestamp } from '../../db/sql.ts';
import { AppError } from '../errors.ts';
import { errors, jsonBody, link, ok, route, router } from '../openapi.ts';
import { setAvailableStock } from '../../orders/order-stock.ts';
import { DEFAULT_PAGE_SIZE, linkHeader, linkNext, pageOf, PageQuery } from '../pagination.ts';
import { CreateProductRequest, IdParam, Message, ProductDto, UpdateProductRequest } from '../schemas.ts';
import { z } from '@hono/zod-openapi';

const tags = ['Products'];
const list = route({
  method: 'get',
  path: '/api/product',
  operationId: 'listProducts',
  tags,
  summary: 'List products by id (paged: follow the Link header)',
  access: 'authenticated',
  request: { query: PageQuery },
  responses: { 200: ok(z.array(ProductDto), 'Products', linkHeader) },
});
const getOne = route({
  operationId: 'getProduct',
  method: 'get',
  path: '/api/product/{id}',
  tags,
  summary: 'Get a product',
  access: 'authenticated',
  request: { params: IdParam },
  responses: { 200: ok(ProductDto, 'The product'), ...errors(404) },
});
const create = route({
  operationId: 'createProduct',
  method: 'put',
  path: '/api/product',
  tags,
  summary: 'Create a product',
  access: 'catalogue-write',
  request: { body: jsonBody(CreateProductRequest) },
  responses: {
    201: ok(
      ProductDto,
      'The new product',
      { Location: { description: 'the product', schema: { type: 'string' } } },
      {
        getProduct: link('getProduct'),
        orderProduct: {
          operationId: 'createOrder',
          parameters: {},
          requestBody: { items: [{ productId: '$response.body#/id', quantity: 1 }] },
        },
        deleteProduct: link('deleteProduct'),
      },
    ),
  },
});
const update = route({
  operationId: 'updateProduct',
  method: 'post',
  path: '/api/product/{id}',
  tags,
  summary: 'Update a product (body id must match the path)',
  access: 'catalogue-write',
  request: { params: IdParam, body: jsonBody(UpdateProductRequest) },
  responses: { 200: ok(ProductDto, 'The updated product'), ...errors(404, 422) },
});
const remove = route({
  operationId: 'deleteProduct',
  method: 'delete',
  path: '/api/product/{id}',
  tags,
  summary: 'Delete a product that no order references',
  access: 'catalogue-write',
  request: { params: IdParam },
  responses: { 200: ok(Message, 'Deleted', undefined, { getDeletedProduct: link('getProduct', 'path') }), ...errors(404, 409) },
});

// Reads go straight to SQL (no entity hydration: the hot path of a catalogue); writes use the entity.
const PRODUCT_ROW = `select id, name, description, price::text as price, stock, ${isoTimestamp('created_at')} as "createdAt" from products`;
type ProductRow = { id: number; name: string; description: string | null; price: string; stock: number; createdAt: string };

async function readProduct(em: EntityManager, id: number): Promise<ProductRow> {
  const [row] = await em.execute<ProductRow[]>(`${PRODUCT_ROW} where id = ?`, [id]);
  if (!row) throw notFound('Product', id);
  return row;
}

async function findProduct(em: EntityManager, id: number) {
  const product = await em.findOne(Product, id);
  if (!product) throw notFound('Product', id);
  return product;
}

async function referencingOrders(em: EntityManager, productId: number): Promise<number> {
  const [row] = await em.execute<{ n: string }[]>('select count(distinct order_id) as n from order_items where product_id = ?', [
    productId,
  ]);
  return Number(row?.n ?? 0);
}

const inUse = (orderCount: number) =>
  new AppError('in-use', 'Cannot delete product that is referenced in orders', { details: { orderCount } });

export function productRoutes(): OpenAPIHono<AppEnv> {
  const app = router();
  app.openapi(list, async (c) => {
    const { limit = DEFAULT_PAGE_SIZE, cursor } = c.req.valid('query');
    const rows = await db(c).execute<ProductRow[]>(`${PRODUCT_ROW} where id > ? order by id limit ?`, [cursor ?? 0, limit + 1]);
    const { rows: products, next } = pageOf(rows, limit);
    linkNext(c, next);
    return c.json(products.map(toProductDto), 200);
  });

  app.openapi(getOne, async (c) => c.json(toProductDto(await readProduct(db(c), c.req.valid('param').id)), 200));

  app.openapi(create, async (c) => {
    const body = c.req.valid('json');
    const em = entityManager(c);
    const product = em.create(Product, {
      name: body.name,
      description: body.description ?? null,
      price: formatCents(toCents(body.price)),
      stock: body.stock,
    });
    await em.flush();
    c.header('Location', `/api/product/${product.id}`);
    return c.json(toProductDto(product), 201);
  });

  app.openapi(update, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    if (body.id !== id) throw new AppError('id-mismatch', `Product ID mismatch: the path says ${id}, the body says ${body.id}`);
    await db(c).transactional(async (tx) => {
      await setAvailableStock(tx, id, body.stock);
      await tx.execute('update products set name = ?, description = ?, price = ? where id = ?', [
        body.name,
        body.description ?? null,
        formatCents(toCents(body.price)),
        id,
      ]);
    });
    return c.json(toProductDto(await readProduct(db(c), id)), 200);
  });

  app.openapi(remove, async (c) => {
    const { id } = c.req.valid('param');
    const em = entityManager(c);
    const product = await findProduct(em, id);
    const orderCount = await referencingOrders(em, id);
    if (orderCount > 0) throw inUse(orderCount);
    try {
      await em.remove(product).flush();
    } catch (err) {
      if (err instanceof ForeignKeyConstraintViolationException) throw inUse(await referencingOrders(em.fork(), id));
      throw err;
    }
    return c.json({ message: 'Product deleted successfully' }, 200);
  });
  return app;
}

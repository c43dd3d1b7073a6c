// /api/product: the catalogue. Any logged-in user may read it; who may change it is PRODUCT_WRITE_ACCESS (any logged-in
// user, the original contract, or admins only: the default in production).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import { createProduct, deleteProduct, getProduct, listProducts, updateProduct } from '../../products/product.service.ts';
import { db, type AppEnv } from '../context.ts';
import { toProductDto } from '../dto.ts';
import { AppError } from '../errors.ts';
import { errors, jsonBody, link, ok, route, router } from '../openapi.ts';
import { DEFAULT_PAGE_SIZE, linkHeader, linkNext, pageOf, PageQuery } from '../pagination.ts';
import { CreateProductRequest, IdParam, Message, ProductDto, UpdateProductRequest } from '../schemas.ts';

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

export function productRoutes(): OpenAPIHono<AppEnv> {
  const app = router();
  app.openapi(list, async (c) => {
    const { limit = DEFAULT_PAGE_SIZE, cursor } = c.req.valid('query');
    const { rows: products, next } = pageOf(await listProducts(db(c), { limit, after: cursor }), limit);
    linkNext(c, next);
    return c.json(products.map(toProductDto), 200);
  });

  app.openapi(getOne, async (c) => c.json(toProductDto(await getProduct(db(c), c.req.valid('param').id)), 200));

  app.openapi(create, async (c) => {
    const product = await createProduct(db(c), c.req.valid('json'));
    c.header('Location', `/api/product/${product.id}`);
    return c.json(toProductDto(product), 201);
  });

  app.openapi(update, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    if (body.id !== id) throw new AppError('id-mismatch', `Product ID mismatch: the path says ${id}, the body says ${body.id}`);
    return c.json(toProductDto(await updateProduct(db(c), id, body)), 200);
  });

  app.openapi(remove, async (c) => {
    await deleteProduct(db(c), c.req.valid('param').id);
    return c.json({ message: 'Product deleted successfully' }, 200);
  });
  return app;
}

// /api/product: catalogue reads (GET), creation (PUT), update (POST) and deletion (DELETE) by any signed-in user.
// Every product here is this file's own; the seeded catalogue is only read by seed.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type ApiResponse, type TestApi } from '../../helpers/api.ts';
import {
  MISSING_ID,
  createOrder,
  createProduct,
  expectError,
  expectMoney,
  expectStatus,
  productDto,
  sql,
  uniqueName,
  type MessageBody,
  type NewProduct,
  type ProductDto,
} from './support.ts';

let api: TestApi;
let token: string;
beforeAll(async () => {
  api = await startTestApi();
  token = (await api.newUser('Product Manager')).token;
});
afterAll(async () => {
  await api.close();
});

const putProduct = (body: unknown) => api.request<ProductDto>('PUT', '/api/product', { token, body });
const priceInDatabase = async (id: number) =>
  (await sql<{ price: string }>(api, 'select price from products where id = ?', [id]))[0]?.price;

describe('PUT /api/product', () => {
  it('when the body is valid, then 201 with the ProductDto and the row is stored', async () => {
    const product: NewProduct = { name: uniqueName('Widget'), description: 'A useful widget', price: 12.5, stock: 7 };

    const res = await putProduct(product);

    expectStatus(res, 201);
    expect(res.body).toEqual(productDto(product));
    expectMoney(res.body.price);
    const rows = await sql(api, 'select name, description, price, stock from products where id = ?', [res.body.id]);
    expect(rows).toEqual([{ name: product.name, description: 'A useful widget', price: '12.50', stock: 7 }]);
  });

  it('when the description is omitted, then 201 with description null', async () => {
    const name = uniqueName('No description');

    const res = await putProduct({ name, price: 1, stock: 1 });

    expectStatus(res, 201);
    expect(res.body).toEqual(productDto({ name, description: null, price: 1, stock: 1 }));
  });

  it('when the price is 0.10, then it comes back as the JSON number 0.1 and is stored as 0.10', async () => {
    const res = await putProduct({ name: uniqueName('Dime'), description: 'cheap', price: 0.1, stock: 1 });

    expectStatus(res, 201);
    expect(res.body.price).toBe(0.1);
    expect(await priceInDatabase(res.body.id)).toBe('0.10');
  });

  it('when every value is at its boundary (price 0, stock 0, name 100, description 1000 characters), then 201', async () => {
    const product = { name: `${uniqueName('B')}${'n'.repeat(100)}`.slice(0, 100), description: 'd'.repeat(1000), price: 0, stock: 0 };

    const res = await putProduct(product);

    expectStatus(res, 201);
    expect(res.body).toEqual(productDto(product));
  });

  it.each([
    { case: 'the name is missing', body: () => ({ description: 'x', price: 1, stock: 1 }) },
    { case: 'the name is empty', body: () => ({ name: '', description: 'x', price: 1, stock: 1 }) },
    { case: 'the name is 101 characters', body: () => ({ name: 'n'.repeat(101), description: 'x', price: 1, stock: 1 }) },
    { case: 'the description is 1001 characters', body: (name: string) => ({ name, description: 'd'.repeat(1001), price: 1, stock: 1 }) },
    { case: 'the price is missing', body: (name: string) => ({ name, description: 'x', stock: 1 }) },
    { case: 'the price is negative', body: (name: string) => ({ name, description: 'x', price: -0.01, stock: 1 }) },
    { case: 'the price has three decimals (19.999)', body: (name: string) => ({ name, description: 'x', price: 19.999, stock: 1 }) },
    { case: 'the price is a numeric string', body: (name: string) => ({ name, description: 'x', price: '9.99', stock: 1 }) },
    { case: 'the stock is missing', body: (name: string) => ({ name, description: 'x', price: 1 }) },
    { case: 'the stock is negative', body: (name: string) => ({ name, description: 'x', price: 1, stock: -1 }) },
    { case: 'the stock is not an integer', body: (name: string) => ({ name, description: 'x', price: 1, stock: 1.5 }) },
  ])('when $case, then 400 with a message and nothing is stored', async ({ body }) => {
    const name = uniqueName('Invalid product');

    const res = await putProduct(body(name));

    expectError(res, 400);
    expect(await sql(api, 'select id from products where name = ?', [name])).toEqual([]);
  });
});

describe('GET /api/product', () => {
  it('when products exist, then 200 with an array of ProductDtos that includes a newly created one', async () => {
    const created = await createProduct(api, token, { name: uniqueName('Listed'), price: 3.33, stock: 3 });

    // The list is paged (100 by default) and the suite creates many products: follow the Link header to the end.
    const listed: ProductDto[] = [];
    for (let url: string | undefined = '/api/product'; url;) {
      const res: ApiResponse<ProductDto[]> = await api.request('GET', url, { token });
      expectStatus(res, 200);
      expect(Array.isArray(res.body)).toBe(true);
      listed.push(...res.body);
      url = /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '')?.[1];
    }

    for (const product of listed) {
      expect(product).toEqual(productDto({ description: product.description === null ? null : expect.any(String) }));
    }
    expect(listed.filter((p) => p.id === created.id)).toEqual([created]);
  });
});

describe('GET /api/product/{id}', () => {
  it('when the product exists, then 200 with the same ProductDto the creation returned', async () => {
    const created = await createProduct(api, token, { price: 999.99, stock: 5 });

    const res = await api.request<ProductDto>('GET', `/api/product/${created.id}`, { token });

    expectStatus(res, 200);
    expect(res.body).toEqual(created);
    expect(res.body.price).toBe(999.99);
  });

  it('when the product does not exist, then 404 with a message', async () => {
    expectError(await api.request('GET', `/api/product/${MISSING_ID}`, { token }), 404);
  });
});

describe('POST /api/product/{id}', () => {
  it('when the body is valid, then 200 with the updated ProductDto and GET shows the update', async () => {
    const created = await createProduct(api, token);
    const update = { id: created.id, name: uniqueName('Updated'), description: 'Now better', price: 20.05, stock: 42 };

    const res = await api.request<ProductDto>('POST', `/api/product/${created.id}`, { token, body: update });

    expectStatus(res, 200);
    expect(res.body).toEqual(productDto({ ...update, createdAt: created.createdAt }));
    const read = await api.request<ProductDto>('GET', `/api/product/${created.id}`, { token });
    expect(read.body).toEqual(res.body);
    expect(await priceInDatabase(created.id)).toBe('20.05');
  });

  it('when the id in the body differs from the id in the path, then 400 and neither product changes', async () => {
    const first = await createProduct(api, token);
    const second = await createProduct(api, token);

    const res = await api.request('POST', `/api/product/${first.id}`, {
      token,
      body: { id: second.id, name: 'Mismatch', description: 'x', price: 1, stock: 1 },
    });

    expectError(res, 400);
    expect((await api.request<ProductDto>('GET', `/api/product/${first.id}`, { token })).body).toEqual(first);
    expect((await api.request<ProductDto>('GET', `/api/product/${second.id}`, { token })).body).toEqual(second);
  });

  it('when the product does not exist, then 404 with a message', async () => {
    const res = await api.request('POST', `/api/product/${MISSING_ID}`, {
      token,
      body: { id: MISSING_ID, name: 'Ghost', description: 'x', price: 1, stock: 1 },
    });

    expectError(res, 404);
  });

  it.each([
    { case: 'the name is empty', change: { name: '' } },
    { case: 'the price is negative', change: { price: -1 } },
    { case: 'the price has three decimals', change: { price: 19.999 } },
    { case: 'the stock is negative', change: { stock: -1 } },
    { case: 'the stock is not an integer', change: { stock: 2.5 } },
    { case: 'the description is 1001 characters', change: { description: 'd'.repeat(1001) } },
  ])('when $case, then 400 with a message and the product is unchanged', async ({ change }) => {
    const created = await createProduct(api, token);

    const res = await api.request('POST', `/api/product/${created.id}`, {
      token,
      body: { id: created.id, name: created.name, description: created.description, price: created.price, stock: created.stock, ...change },
    });

    expectError(res, 400);
    expect((await api.request<ProductDto>('GET', `/api/product/${created.id}`, { token })).body).toEqual(created);
  });
});

describe('DELETE /api/product/{id}', () => {
  it('when no order references the product, then 200 with a message and GET answers 404', async () => {
    const created = await createProduct(api, token);

    const res = await api.request<MessageBody>('DELETE', `/api/product/${created.id}`, { token });

    expectStatus(res, 200);
    expect(res.body).toEqual({ message: expect.any(String) });
    expectError(await api.request('GET', `/api/product/${created.id}`, { token }), 404);
    expect(await sql(api, 'select id from products where id = ?', [created.id])).toEqual([]);
  });

  it('when an order references the product, then 409 with the message and orderCount, and the product stays', async () => {
    const created = await createProduct(api, token, { stock: 10 });
    await createOrder(api, token, [{ productId: created.id, quantity: 2 }]);

    const res = await api.request('DELETE', `/api/product/${created.id}`, { token });

    expectError(res, 409, 'Cannot delete product that is referenced in orders');
    expect(res.body).toEqual(expect.objectContaining({ orderCount: 1 }));
    expect((await api.request<ProductDto>('GET', `/api/product/${created.id}`, { token })).body).toEqual({ ...created, stock: 8 });
  });

  it('when the product does not exist, then 404 with a message', async () => {
    expectError(await api.request('DELETE', `/api/product/${MISSING_ID}`, { token }), 404);
  });
});

// Shared vocabulary of the API contract tests: the DTO shapes, matchers for them, and small builders that create the
// users' own products and orders (no test orders seeded products: the seed test asserts their untouched state).
import { expect } from '@jest/globals';
import type { ApiResponse, TestApi } from '../../helpers/api.ts';

export type UserDto = { id: number; name: string; email: string; createdAt: string; updatedAt: string };
export type LoginDto = { token: string; user: UserDto };
export type ProductDto = { id: number; name: string; description: string | null; price: number; stock: number; createdAt: string };
export type OrderItemDto = { id: number; productId: number; productName: string; quantity: number; price: number };
export type OrderDto = {
  id: number;
  userId: number;
  total: number;
  status: OrderStatus;
  phase: 'placed' | 'charging' | 'awaiting-payment' | 'done';
  paymentDueAt: string | null;
  createdAt: string;
  updatedAt: string;
  items: OrderItemDto[];
};
export type OrderStatus = 'Pending' | 'Processing' | 'Completed' | 'Cancelled' | 'Expired';
export type ErrorBody = { message: string } & Record<string, unknown>;
export type MessageBody = { message: string };
export type NewProduct = { name: string; description?: string | null; price: number; stock: number };
export type OrderLine = { productId: number; quantity: number };

/** An id no row will ever have (the identity sequences of a test run stay far below it) but still a valid int4. */
export const MISSING_ID = 2_000_000_000;

/** ISO-8601 in UTC with a trailing Z, e.g. 2024-05-01T12:00:00.000Z. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

let sequence = 0;

/** A name no other test (and no seed row) uses. */
export function uniqueName(prefix: string): string {
  sequence += 1;
  return `${prefix} ${process.pid}-${Date.now()}-${sequence}`;
}

/** Expected field values (or asymmetric matchers) of a DTO; unlisted fields only need the right type. */
type Expected<T> = { [K in keyof T]?: unknown };

/** Matcher for a UserDto: exactly the five contract fields. */
export function userDto(expected: Expected<UserDto> = {}): unknown {
  return {
    id: expect.any(Number),
    name: expect.any(String),
    email: expect.any(String),
    createdAt: expect.stringMatching(ISO_UTC),
    updatedAt: expect.stringMatching(ISO_UTC),
    ...expected,
  };
}

/** Matcher for a ProductDto: exactly the six contract fields (pass `description: null` for a product without one). */
export function productDto(expected: Expected<ProductDto> = {}): unknown {
  return {
    id: expect.any(Number),
    name: expect.any(String),
    description: expect.any(String),
    price: expect.any(Number),
    stock: expect.any(Number),
    createdAt: expect.stringMatching(ISO_UTC),
    ...expected,
  };
}

/** Matcher for an OrderItemDto: exactly the five contract fields. */
export function orderItemDto(expected: Expected<OrderItemDto> = {}): unknown {
  return {
    id: expect.any(Number),
    productId: expect.any(Number),
    productName: expect.any(String),
    quantity: expect.any(Number),
    price: expect.any(Number),
    ...expected,
  };
}

/**
 * Matcher for an OrderDto: exactly the seven fields of the original contract plus `phase` and `paymentDueAt`
 * (null unless the order awaits payment).
 */
export function orderDto(expected: Expected<OrderDto> = {}): unknown {
  return {
    id: expect.any(Number),
    userId: expect.any(Number),
    total: expect.any(Number),
    status: expect.any(String),
    phase: expect.stringMatching(/^(placed|charging|awaiting-payment|done)$/),
    paymentDueAt: null,
    createdAt: expect.stringMatching(ISO_UTC),
    updatedAt: expect.stringMatching(ISO_UTC),
    items: expect.any(Array),
    ...expected,
  };
}

/** Asserts the status; on a mismatch the failure shows the response text, which says why. */
export function expectStatus(res: ApiResponse, status: number): void {
  expect({ status: res.status, text: res.text }).toMatchObject({ status });
}

/**
 * Asserts the status and that the body is a contract error: an RFC 9457 problem document (application/problem+json,
 * type/title/status/detail/code) whose `message` (the original contract's field, equal to `detail`) is a non-empty
 * string, with no stack trace.
 */
export function expectError(res: ApiResponse, status: number, message?: string | RegExp): void {
  expectStatus(res, status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = res.body as Partial<ErrorBody> | undefined;
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.stringMatching(/^urn:order-saga:problem:[a-z-]+$/),
      title: expect.any(String),
      status,
      code: expect.any(String),
      message: expect.any(String),
      detail: body?.message,
    }),
  );
  expect(body?.type).toBe(`urn:order-saga:problem:${String(body?.code)}`);
  expect(body?.message?.length ?? 0).toBeGreaterThan(0);
  expect(res.text).not.toContain('    at ');
  if (typeof message === 'string') expect(body?.message).toBe(message);
  else if (message) expect(body?.message).toMatch(message);
}

/** Asserts that a money value is a JSON number with at most two decimals. */
export function expectMoney(value: unknown): void {
  expect(typeof value).toBe('number');
  const n = value as number;
  expect(Number.isFinite(n)).toBe(true);
  expect(Math.round(n * 100) / 100).toBe(n);
}

/** Asserts that a response leaks no password material: no password* field and no password-hash-looking text. */
export function expectNoPasswordMaterial(res: ApiResponse, knownHashes: string[] = []): void {
  expect(res.text).not.toMatch(/"password[^"]*"\s*:/i);
  expect(res.text).not.toMatch(/"password_?hash"/i);
  expect(res.text).not.toMatch(/scrypt|argon2|pbkdf2|\$2[aby]\$/i);
  for (const hash of knownHashes) expect(res.text).not.toContain(hash);
}

/** Raw SQL against the test database (MikroORM turns `?` into positional parameters). */
export async function sql<T extends object>(api: TestApi, query: string, params: unknown[] = []): Promise<T[]> {
  return api.orm.em.getConnection().execute<T[]>(query, params);
}

export async function passwordHashOf(api: TestApi, userId: number): Promise<string> {
  const rows = await sql<{ password_hash: string }>(api, 'select password_hash from users where id = ?', [userId]);
  if (!rows[0]) throw new Error(`no user row ${userId}`);
  return rows[0].password_hash;
}

/** Creates a product of the test's own (PUT /api/product) and returns it; throws unless 201. */
export async function createProduct(api: TestApi, token: string, product: Partial<NewProduct> = {}): Promise<ProductDto> {
  const body: NewProduct = { name: uniqueName('Test product'), description: 'Made by an API test', price: 10, stock: 100, ...product };
  const res = await api.request<ProductDto>('PUT', '/api/product', { token, body });
  if (res.status !== 201) throw new Error(`create product failed: ${res.status} ${res.text}`);
  return res.body;
}

/** Places an order (PUT /api/order) and returns it; throws unless 201. */
export async function createOrder(api: TestApi, token: string, items: OrderLine[]): Promise<OrderDto> {
  const res = await api.request<OrderDto>('PUT', '/api/order', { token, body: { items } });
  if (res.status !== 201) throw new Error(`create order failed: ${res.status} ${res.text}`);
  return res.body;
}

/** Moves an order to a status (POST /api/order/{id}) and returns it; throws unless 200. */
export async function setOrderStatus(api: TestApi, token: string, orderId: number, status: OrderStatus | number): Promise<OrderDto> {
  const res = await api.request<OrderDto>('POST', `/api/order/${orderId}`, { token, body: { id: orderId, status } });
  if (res.status !== 200) throw new Error(`set order ${orderId} to ${status} failed: ${res.status} ${res.text}`);
  return res.body;
}

/** The product's stock as the API reports it (GET /api/product/{id}); throws unless 200. */
export async function stockOf(api: TestApi, token: string, productId: number): Promise<number> {
  const res = await api.request<ProductDto>('GET', `/api/product/${productId}`, { token });
  if (res.status !== 200) throw new Error(`get product ${productId} failed: ${res.status} ${res.text}`);
  return res.body.stock;
}

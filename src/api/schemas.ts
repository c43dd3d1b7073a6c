// Request and response schemas: the same zod definitions validate requests and generate /openapi.json.
import { z } from '@hono/zod-openapi';
import { hasAtMostTwoDecimals } from '../domain/money.ts';
import { ORDER_STATUSES } from '../domain/order-lifecycle.ts';
import { ORDER_PHASES, type OrderPhase } from '../orders/order-view.ts';
import { PROBLEMS, type ProblemCode } from './errors.ts';

const INT_MAX = 2_147_483_647;
/** Largest price accepted: exact in a JSON number and far inside numeric(18,2). */
const MONEY_MAX = 999_999_999_999.99;

export const IdParam = z.object({
  id: z
    .string()
    .regex(/^\d{1,10}$/, 'id must be a positive integer')
    .transform(Number)
    .refine((n) => n >= 1 && n <= INT_MAX, 'id must be between 1 and 2147483647')
    .openapi({ param: { name: 'id', in: 'path' }, type: 'integer', minimum: 1, maximum: INT_MAX, example: 1 }),
});

/** PostgreSQL text cannot hold NUL characters; refuse them up front instead of failing in the query. */
const noNul = (v: string) => !v.includes('\u0000');

/** Lengths count characters (code points), as PostgreSQL's varchar(n) and the document's minLength/maxLength do. */
const length = (v: string) => (/[\ud800-\udfff]/.test(v) ? [...v].length : v.length);

/** A string of min..max characters, counted before anything is trimmed. */
const chars = (min: number, max: number) =>
  z
    .string()
    .refine((v) => length(v) >= min, `must be at least ${min} characters`)
    .refine((v) => length(v) <= max, `must be at most ${max} characters`)
    .openapi({ minLength: min, maxLength: max });

/**
 * The white space String#trim removes, spelled out: `\s` means different sets in JavaScript and in the regex
 * engines clients (and fuzzers) generate from, so the document's pattern names the characters exactly.
 */
const TRIMMED = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/**
 * Text: at most `max` characters as sent, no NUL; stored without surrounding white space, and when `min` > 0 it
 * must contain something else. The pattern says exactly that, so the document and the server agree.
 */
const text = (min: number, max: number) =>
  chars(min, max)
    .refine(noNul, 'must not contain NUL characters')
    .trim()
    .refine((v) => v.length >= min, min > 0 ? 'must not be blank' : 'ok')
    .openapi({
      description: `surrounding white space is removed before storing; no NUL characters${min > 0 ? '; not blank' : ''}`,
      pattern: min > 0 ? `^[^\\u0000]*[^\\u0000${TRIMMED}][^\\u0000]*$` : '^[^\\u0000]*$',
    });

const id = z.number().int().min(1).max(INT_MAX);
const money = z
  .number()
  .min(0)
  .max(MONEY_MAX)
  .refine(hasAtMostTwoDecimals, 'must have at most two decimals')
  .openapi({ multipleOf: 0.01, example: 29.99 });
const timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' });
/**
 * An e-mail address: an RFC 5322 dot-atom local part of at most 64 characters, @, and a domain of two or more DNS labels. The same pattern is
 * in the document, so every address the document calls valid is accepted (no quoted local parts, no IP literals).
 */
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const EMAIL_PATTERN = `^(?=[^@]{1,64}@)${ATOM}(?:\\.${ATOM})*@${LABEL}(?:\\.${LABEL})+$`;
const email = chars(3, 100)
  .regex(new RegExp(EMAIL_PATTERN), 'must be a valid e-mail address')
  .openapi({ format: 'email', pattern: EMAIL_PATTERN, description: 'compared and stored in lower case', example: 'jane@example.com' });
const password = chars(6, 100).openapi({ example: 'Secret123!' });

export const Message = z.object({ message: z.string() }).openapi('Message');

const PROBLEM_CODES = Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]];
/** RFC 9457 problem details: every error answer (application/problem+json). */
export const Problem = z
  .object({
    type: z.string().openapi({ example: 'urn:order-saga:problem:not-found' }),
    title: z.string().openapi({ example: 'Not found' }),
    status: z.number().int().min(400).max(599).openapi({ example: 404 }),
    detail: z.string().openapi({ example: 'Order with ID 42 not found' }),
    instance: z.string().openapi({ description: 'the request path', example: '/api/order/42' }),
    code: z.enum(PROBLEM_CODES).openapi({ description: 'stable machine-readable kind of error' }),
    message: z.string().openapi({ description: 'the same text as detail (the original contract)', example: 'Order with ID 42 not found' }),
    requestId: z.string().optional().openapi({ description: 'also in the X-Request-Id header; quote it when reporting a problem' }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'validation-failed: each invalid field' }),
    currentStatus: z.enum(ORDER_STATUSES).optional().openapi({ description: 'state-conflict on an order: its status now' }),
    orderCount: z.number().int().optional().openapi({ description: 'in-use: how many orders still reference the resource' }),
    reserved: z.number().int().optional().openapi({ description: 'stock updates: units held by open orders' }),
    maxStock: z.number().int().optional().openapi({ description: 'stock updates: the largest stock that can be set now' }),
  })
  .openapi('Problem');

export const LoginRequest = z
  .object({
    email: chars(1, 200).refine(noNul, 'must not contain NUL characters').openapi({ pattern: '^[^\\u0000]*$' }),
    password: chars(1, 200),
  })
  .openapi('LoginRequest', { example: { email: 'test@example.com', password: 'Password123!' } });

export const UserDto = z.object({ id, name: z.string(), email: z.string(), createdAt: timestamp, updatedAt: timestamp }).openapi('User');
export const LoginResponse = z.object({ token: z.string(), user: UserDto }).openapi('LoginResponse');

export const RegisterRequest = z
  .object({ name: text(1, 100), email, password })
  .openapi('RegisterRequest', { example: { name: 'Jane Doe', email: 'jane@example.com', password: 'Secret123!' } });

export const UpdateUserRequest = z.object({ id, name: text(1, 100), email, password: password.optional() }).openapi('UpdateUserRequest');

export const ProductDto = z
  .object({ id, name: z.string(), description: z.string().nullable(), price: z.number(), stock: z.number().int(), createdAt: timestamp })
  .openapi('Product');

const productFields = {
  name: text(1, 100),
  description: text(0, 1000).nullable().optional(),
  price: money,
  stock: z.number().int().min(0).max(INT_MAX),
};
export const CreateProductRequest = z
  .object(productFields)
  .openapi('CreateProductRequest', { example: { name: 'Desk lamp', description: 'LED desk lamp', price: 24.5, stock: 40 } });
export const UpdateProductRequest = z.object({ id, ...productFields }).openapi('UpdateProductRequest');

export const OrderStatusName = z.enum(ORDER_STATUSES).openapi('OrderStatus');
export const OrderItemDto = z
  .object({ id, productId: id, productName: z.string(), quantity: z.number().int(), price: z.number() })
  .openapi('OrderItem');
export const OrderDto = z
  .object({
    id,
    userId: id,
    total: z.number(),
    status: OrderStatusName,
    phase: z.enum(ORDER_PHASES as [OrderPhase, ...OrderPhase[]]).openapi({
      description:
        'placed (Pending: the saga has not started it yet), charging (the payment is being taken), awaiting-payment ' +
        '(the payment was declined: the order expires at paymentDueAt unless paid), done (a final status)',
    }),
    paymentDueAt: timestamp.nullable().openapi({ description: 'while awaiting-payment: when the order expires unless paid' }),
    createdAt: timestamp,
    updatedAt: timestamp,
    items: z.array(OrderItemDto),
  })
  .openapi('Order');

export const CreateOrderRequest = z
  .object({
    items: z
      .array(z.object({ productId: id, quantity: z.number().int().min(1).max(INT_MAX) }))
      .min(1, 'an order needs at least one item')
      .max(100, 'at most 100 items per order'),
  })
  .openapi('CreateOrderRequest', { example: { items: [{ productId: 1, quantity: 1 }] } });

export const UpdateOrderStatusRequest = z
  .object({
    id,
    status: z
      .union([OrderStatusName, z.number().int().min(0).max(4)])
      .openapi({ description: 'status name, or its code 0-4 (Pending … Expired)' }),
  })
  .openapi('UpdateOrderStatusRequest', { example: { id: 1, status: 'Cancelled' } });

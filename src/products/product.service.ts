// Catalogue use cases on PostgreSQL: list a page, read, create, update (its stock within the rule of
// product-stock.ts) and delete a product no order references. Reads go straight to SQL (no entity hydration: the hot
// path of a catalogue); create and delete use the entity in a fork of their own, so any EntityManager will do as
// the argument. Answers are plain views; errors are domain errors (src/domain/errors.ts), never HTTP.
import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Product } from '../db/entities.ts';
import { isoTimestamp } from '../db/sql.ts';
import { InUseError, notFound } from '../domain/errors.ts';
import { formatCents, toCents } from '../domain/money.ts';
import { setAvailableStock } from './product-stock.ts';

/** A product as the API shows it: price as exact decimal text, createdAt as ISO-8601 UTC text. */
export type ProductView = { id: number; name: string; description: string | null; price: string; stock: number; createdAt: string };

/** What a client sets on a product; the price has at most two decimals (checked by the request schema). */
export type ProductInput = { name: string; description?: string | null; price: number; stock: number };

const PRODUCT_ROW = `select id, name, description, price::text as price, stock, ${isoTimestamp('created_at')} as "createdAt" from products`;

/** The price as numeric(18,2) prints it, so the stored value is exactly the one sent. */
const storedPrice = (price: number) => formatCents(toCents(price));

/** Products by ascending id after the id `after`, `limit + 1` of them: one extra says more exist. */
export async function listProducts(em: EntityManager, query: { limit: number; after?: number }): Promise<ProductView[]> {
  return em.execute<ProductView[]>(`${PRODUCT_ROW} where id > ? order by id limit ?`, [query.after ?? 0, query.limit + 1]);
}

export async function getProduct(em: EntityManager, id: number): Promise<ProductView> {
  const [row] = await em.execute<ProductView[]>(`${PRODUCT_ROW} where id = ?`, [id]);
  if (!row) throw notFound('Product', id);
  return row;
}

export async function createProduct(em: EntityManager, input: ProductInput): Promise<ProductView> {
  const work = em.fork();
  const product = work.create(Product, {
    name: input.name,
    description: input.description ?? null,
    price: storedPrice(input.price),
    stock: input.stock,
  });
  await work.flush();
  const { id, name, description, price, stock, createdAt } = product;
  return { id, name, description: description ?? null, price, stock, createdAt: createdAt.toISOString() };
}

/** Replaces the product's fields; the new stock is its available stock (setAvailableStock), reservations aside. */
export async function updateProduct(em: EntityManager, id: number, input: ProductInput): Promise<ProductView> {
  await em.transactional(async (tx) => {
    await setAvailableStock(tx, id, input.stock);
    await tx.execute('update products set name = ?, description = ?, price = ? where id = ?', [
      input.name,
      input.description ?? null,
      storedPrice(input.price),
      id,
    ]);
  });
  return getProduct(em, id);
}

async function referencingOrders(em: EntityManager, productId: number): Promise<number> {
  const [row] = await em.execute<{ n: string }[]>('select count(distinct order_id) as n from order_items where product_id = ?', [
    productId,
  ]);
  return Number(row?.n ?? 0);
}

const inUse = (orderCount: number) => new InUseError('Cannot delete product that is referenced in orders', { orderCount });

/** Deletes a product that no order references; order_items.product_id restricts the delete in any case. */
export async function deleteProduct(em: EntityManager, id: number): Promise<void> {
  const work = em.fork();
  const product = await work.findOne(Product, id);
  if (!product) throw notFound('Product', id);
  const orderCount = await referencingOrders(work, id);
  if (orderCount > 0) throw inUse(orderCount);
  try {
    await work.remove(product).flush();
  } catch (err) {
    // An order placed between the count and the delete: the foreign key refuses, same answer as above.
    if (err instanceof ForeignKeyConstraintViolationException) throw inUse(await referencingOrders(em.fork(), id));
    throw err;
  }
}

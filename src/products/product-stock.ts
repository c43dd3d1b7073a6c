// A product's stock: reserved when an order is placed, given back when a transition that releases stock happens
// (cancel, expire, delete), and set by an admin's correction. All run inside the caller's transaction, next to the
// change that justifies them. Rows are always locked in ascending product id order, so concurrent orders cannot
// deadlock. The orders module (src/orders/) calls the reservation and the release; the catalogue the correction.
import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound, RuleViolationError } from '../domain/errors.ts';
import { STOCK_HOLDING_STATUSES } from '../domain/order-lifecycle.ts';

/** The stock column is a PostgreSQL integer. */
export const MAX_STOCK = 2_147_483_647;

/** A quantity of one product, as an order line asks for it. */
export type StockLine = { productId: number; quantity: number };
export type ReservedProduct = { name: string; price: string };

/** The lines in the order their product rows are locked: ascending product id (the same in every transaction). */
export const inLockOrder = <T extends StockLine>(lines: readonly T[]): T[] => [...lines].sort((a, b) => a.productId - b.productId);

/**
 * Takes each line's quantity off its product's stock with a conditional update (stock >= quantity), so stock never
 * goes negative. Rows are locked in ascending product id order, so concurrent orders cannot deadlock. Returns each
 * product's name and current price; throws RuleViolationError for an unknown product or insufficient stock.
 */
export async function reserveStock(tx: EntityManager, lines: StockLine[]): Promise<Map<number, ReservedProduct>> {
  const products = new Map<number, ReservedProduct>();
  for (const { productId, quantity } of inLockOrder(lines)) {
    const [reserved] = await tx.execute<ReservedProduct[]>(
      'update products set stock = stock - ? where id = ? and stock >= ? returning name, price',
      [quantity, productId, quantity],
    );
    if (reserved) {
      products.set(productId, reserved);
      continue;
    }
    const [current] = await tx.execute<{ name: string; stock: number }[]>('select name, stock from products where id = ?', [productId]);
    if (!current) throw new RuleViolationError(notFound('Product', productId).message);
    throw new RuleViolationError(`Insufficient stock for product '${current.name}'. Available: ${current.stock}, Requested: ${quantity}`);
  }
  return products;
}

/**
 * Gives an order's reserved stock back. Call only right after a conditional status change that succeeded. The
 * products are locked first, in ascending id order like reserveStock: an update joined to a subquery locks rows in
 * whatever order the plan yields, which deadlocked against concurrent reservations and releases.
 */
export async function releaseOrderStock(tx: EntityManager, orderId: number): Promise<void> {
  await tx.execute('select id from products where id in (select product_id from order_items where order_id = ?) order by id for update', [
    orderId,
  ]);
  await tx.execute(
    `update products p set stock = p.stock + r.quantity
       from (select product_id, sum(quantity) as quantity from order_items where order_id = ? group by product_id) r
      where p.id = r.product_id`,
    [orderId],
  );
}

/**
 * Units reserved by open orders are not part of a product's available stock: they come back when those orders are
 * cancelled, expire or are deleted, so the new stock plus what is reserved must still fit the column, or that release
 * would overflow. Throws RuleViolationError (with the reserved units and the largest stock allowed) when it does not.
 */
export function ensureStockFits(stock: number, reserved: number): void {
  if (stock + reserved <= MAX_STOCK) return;
  throw new RuleViolationError(
    `Stock ${stock} plus the ${reserved} units reserved by open orders exceeds ${MAX_STOCK}, the largest stock a product can have`,
    { reserved, maxStock: MAX_STOCK - reserved },
  );
}

/**
 * Sets a product's available stock (an admin's correction), within ensureStockFits. The product row is locked first,
 * which holds off concurrent reservations of it until this transaction ends, so the reserved sum cannot change
 * underneath the check.
 */
export async function setAvailableStock(tx: EntityManager, productId: number, stock: number): Promise<void> {
  const [locked] = await tx.execute<{ id: number }[]>('select id from products where id = ? for update', [productId]);
  if (!locked) throw notFound('Product', productId);
  ensureStockFits(stock, await reservedStock(tx, productId));
  await tx.execute('update products set stock = ? where id = ?', [stock, productId]);
}

/** Units of the product held by orders that may still give them back. */
export async function reservedStock(tx: EntityManager, productId: number): Promise<number> {
  const statuses = STOCK_HOLDING_STATUSES;
  const [row] = await tx.execute<{ units: string | null }[]>(
    `select sum(i.quantity) as units from order_items i join orders o on o.id = i.order_id
      where i.product_id = ? and o.status in (${statuses.map(() => '?').join(', ')})`,
    [productId, ...statuses],
  );
  return Number(row?.units ?? 0);
}

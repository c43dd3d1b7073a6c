// Order use cases on PostgreSQL. Stock is reserved with conditional updates (stock >= quantity) inside the same
// transaction as the order insert and its OrderCreated outbox row, taking row locks in ascending product id order so
// concurrent orders cannot deadlock; an order never reserves stock that is not there. Status changes after creation
// belong to the saga (activities/order.activities.ts); deletion locks the order row first, so the stock of a deleted
// order is released exactly once.
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Order, OrderItem, type IOrder } from '../../db/entities.ts';
import { formatCents, toCents } from '../../domain/money.ts';
import { releaseOrderStock } from '../../db/order-stock.ts';
import type { OrderStatus } from '../../domain/order-status.ts';
import { discardPendingEvents, enqueueEvent } from '../../outbox/outbox.ts';
import { AppError, forbidden, notFound } from '../errors.ts';

export type OrderLine = { productId: number; quantity: number };

/** numeric(18,2) holds at most 16 integer digits. */
const MAX_TOTAL_CENTS = 10n ** 18n - 1n;

const withItems = { populate: ['items', 'items.product'] } as const;

export async function placeOrder(em: EntityManager, userId: number, lines: OrderLine[]): Promise<IOrder> {
  const orderId = await em.transactional(async (tx) => {
    const products = new Map<number, { name: string; price: string }>();
    const byProduct = [...lines].sort((a, b) => a.productId - b.productId);
    for (const { productId, quantity } of byProduct) {
      const [reserved] = await tx.execute<{ name: string; price: string }[]>(
        'update products set stock = stock - ? where id = ? and stock >= ? returning name, price',
        [quantity, productId, quantity],
      );
      if (reserved) {
        products.set(productId, reserved);
        continue;
      }
      const [current] = await tx.execute<{ name: string; stock: number }[]>('select name, stock from products where id = ?', [productId]);
      if (!current) throw new AppError(422, `Product with ID ${productId} not found`);
      throw new AppError(422, `Insufficient stock for product '${current.name}'. Available: ${current.stock}, Requested: ${quantity}`);
    }

    const totalCents = lines.reduce((sum, l) => sum + toCents(products.get(l.productId)!.price) * BigInt(l.quantity), 0n);
    if (totalCents > MAX_TOTAL_CENTS) throw new AppError(422, 'Order total exceeds the largest amount that can be recorded');
    const order = tx.create(Order, { user: userId, total: formatCents(totalCents), status: 'Pending' satisfies OrderStatus });
    for (const { productId, quantity } of lines) {
      tx.create(OrderItem, { order, product: productId, quantity, price: products.get(productId)!.price });
    }
    await tx.flush();
    // Same transaction: the order exists if and only if its OrderCreated will be published (src/outbox/relay.ts).
    await enqueueEvent(tx, {
      type: 'OrderCreated',
      version: 1,
      orderId: order.id,
      userId,
      total: order.total,
      createdAt: order.createdAt.toISOString(),
    });
    return order.id;
  });
  return loadOrder(em.fork(), orderId);
}

export async function loadOrder(em: EntityManager, id: number): Promise<IOrder> {
  const order = await em.findOne(Order, id, withItems);
  if (!order) throw notFound('Order', id);
  return order;
}

export async function ownOrder(em: EntityManager, userId: number, id: number): Promise<IOrder> {
  const order = await loadOrder(em, id);
  if (order.user.id !== userId) throw forbidden('This order belongs to another user');
  return order;
}

export async function listOrders(em: EntityManager, userId: number): Promise<IOrder[]> {
  return em.find(Order, { user: userId }, { ...withItems, orderBy: { createdAt: 'desc', id: 'desc' } });
}

/** Locks the caller's order row for the rest of the transaction and returns its current status. */
async function lockOwnOrder(tx: EntityManager, userId: number, id: number): Promise<OrderStatus> {
  const order = await tx.findOne(Order, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!order) throw notFound('Order', id);
  if (order.user.id !== userId) throw forbidden('This order belongs to another user');
  return order.status as OrderStatus;
}

export async function deleteOrder(em: EntityManager, userId: number, id: number): Promise<void> {
  await em.transactional(async (tx) => {
    const status = await lockOwnOrder(tx, userId, id);
    if (status !== 'Pending') {
      throw new AppError(409, `Cannot delete order with status '${status}'. Only pending orders can be deleted.`, {
        currentStatus: status,
      });
    }
    // A saga that starts later (OrderCreated already on Kafka) finds no order and ends quietly; an unpublished
    // OrderCreated is dropped here so no saga starts at all.
    await releaseOrderStock(tx, id);
    await discardPendingEvents(tx, id);
    await tx.execute('delete from orders where id = ?', [id]);
  });
}

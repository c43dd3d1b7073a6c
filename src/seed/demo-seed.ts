// Demo data for an empty database: two users, five products, and three finished orders of the test user, each with
// the notification the saga would have written. Only final orders: an order written here never went through the
// outbox and the workflow, so a Pending or Processing one would stay open forever (and hold stock no workflow ever
// gives back). Idempotent: it does nothing once any user exists, and runs in one transaction, so a crash leaves no
// half seed.
import type { EntityManager } from '@mikro-orm/postgresql';
import { hashPassword } from '../users/password.ts';
import type { Logger } from '../logger.ts';
import { outcomeEvent } from '../domain/events.ts';
import { notificationText } from '../domain/notification-text.ts';
import { OUTCOME_EVENTS, statusAnnouncedBy, type OutcomeEventType } from '../domain/order-lifecycle.ts';
import type { Orm } from '../db/orm.ts';
import { Notification, Order, OrderItem, Product, User, type IProduct } from '../db/entities.ts';

const PASSWORD = 'Password123!';
const HOUR_MS = 60 * 60 * 1000;

const products = [
  { name: 'Laptop', price: '999.99', stock: 50, description: 'High-performance laptop' },
  { name: 'Mouse', price: '29.99', stock: 200, description: 'Wireless mouse' },
  { name: 'Keyboard', price: '79.99', stock: 150, description: 'Mechanical keyboard' },
  { name: 'Monitor', price: '399.99', stock: 75, description: '27-inch 4K monitor' },
  { name: 'Headphones', price: '199.99', stock: 100, description: 'Noise-cancelling headphones' },
];

/** The test user's order history: one finished order per outcome of the lifecycle table (a new outcome without an
 * order here does not compile): [total, product names, age in hours]. */
const ordersBy: Record<OutcomeEventType, [string, string[], number]> = {
  OrderCompleted: ['1029.98', ['Laptop', 'Mouse'], 5 * 24],
  OrderCancelled: ['479.98', ['Monitor', 'Keyboard'], 2 * 24],
  OrderExpired: ['199.99', ['Headphones'], 3],
};
const orders = OUTCOME_EVENTS.map((outcome) => [outcome, ...ordersBy[outcome]] as const);

async function seedInto(em: EntityManager): Promise<void> {
  const passwordHash = await hashPassword(PASSWORD);
  em.create(User, { name: 'Admin User', email: 'admin@example.com', passwordHash, role: 'admin' });
  const testUser = em.create(User, { name: 'Test User', email: 'test@example.com', passwordHash });
  const byName = new Map<string, IProduct>(products.map((p) => [p.name, em.create(Product, p)]));
  const now = Date.now();
  const seeded = orders.map(([outcome, total, names, ageHours]) => {
    const at = new Date(now - ageHours * HOUR_MS);
    const order = em.create(Order, { user: testUser, total, status: statusAnnouncedBy(outcome), createdAt: at, updatedAt: at });
    const items = names.map((name) => {
      const product = byName.get(name)!;
      em.create(OrderItem, { order, product, quantity: 1, price: product.price, createdAt: at, updatedAt: at });
      return product;
    });
    return { outcome, order, items, at };
  });
  await em.flush();
  // The notification text names the order id, known only after the insert; it is the text the notifier writes.
  for (const { outcome, order, items, at } of seeded) {
    const lines = items.map((p) => ({ productId: p.id, productName: p.name, quantity: 1, price: p.price }));
    const event = outcomeEvent(outcome, { orderId: order.id, userId: testUser.id, total: order.total, items: lines, at: at.toISOString() });
    const message = notificationText(event, testUser.email);
    em.create(Notification, { user: testUser, order, message, eventType: outcome, createdAt: at, updatedAt: at });
  }
  await em.flush();
}

/** Seeds an empty database; returns whether it did. */
export async function seedIfEmpty(orm: Orm, log?: Logger): Promise<boolean> {
  const seeded = await orm.em.fork().transactional(async (em) => {
    // Serialises concurrent seeders (several api processes starting at once) until this transaction ends.
    await em.execute('select pg_advisory_xact_lock(727274)');
    if ((await em.count(User, {})) > 0) return false;
    await seedInto(em);
    return true;
  });
  if (seeded) log?.info('seeded demo data (admin@example.com / test@example.com, password Password123!)');
  return seeded;
}

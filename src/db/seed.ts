// Demo data for an empty database: two users, five products, three orders of the test user and one notification.
// Idempotent: it does nothing once any user exists, and runs in one transaction, so a crash leaves no half seed.
import type { EntityManager } from '@mikro-orm/postgresql';
import { hashPassword } from '../users/password.ts';
import type { Logger } from '../logger.ts';
import type { OrderStatus } from '../orders/order-lifecycle.ts';
import type { Orm } from './orm.ts';
import { Notification, Order, OrderItem, Product, User, type IProduct } from './entities.ts';

const PASSWORD = 'Password123!';
const DAY_MS = 24 * 60 * 60 * 1000;

const products = [
  { name: 'Laptop', price: '999.99', stock: 50, description: 'High-performance laptop' },
  { name: 'Mouse', price: '29.99', stock: 200, description: 'Wireless mouse' },
  { name: 'Keyboard', price: '79.99', stock: 150, description: 'Mechanical keyboard' },
  { name: 'Monitor', price: '399.99', stock: 75, description: '27-inch 4K monitor' },
  { name: 'Headphones', price: '199.99', stock: 100, description: 'Noise-cancelling headphones' },
];

/** The test user's order history: [status, total, product names, age in days]. */
const orders: Array<[OrderStatus, string, string[], number]> = [
  ['Completed', '1029.98', ['Laptop', 'Mouse'], 5],
  ['Processing', '479.98', ['Monitor', 'Keyboard'], 2],
  ['Pending', '199.99', ['Headphones'], 0],
];

async function seedInto(em: EntityManager): Promise<void> {
  const passwordHash = await hashPassword(PASSWORD);
  em.create(User, { name: 'Admin User', email: 'admin@example.com', passwordHash, role: 'admin' });
  const testUser = em.create(User, { name: 'Test User', email: 'test@example.com', passwordHash });
  const byName = new Map<string, IProduct>(products.map((p) => [p.name, em.create(Product, p)]));
  const now = Date.now();
  for (const [status, total, names, ageDays] of orders) {
    const at = new Date(now - ageDays * DAY_MS);
    const order = em.create(Order, { user: testUser, total, status, createdAt: at, updatedAt: at });
    for (const name of names) {
      const product = byName.get(name)!;
      em.create(OrderItem, { order, product, quantity: 1, price: product.price, createdAt: at, updatedAt: at });
    }
    if (status === 'Completed') {
      const message = `Order #{id} for user test@example.com was issued containing products: ${names.map((n) => `${n} (x1)`).join(', ')}. Total: $${total}`;
      em.create(Notification, { user: testUser, order, message, eventType: 'OrderCompleted', createdAt: at, updatedAt: at });
    }
  }
  await em.flush();
  // The notification text names the order id, known only after the insert.
  await em.execute(`update notifications set message = replace(message, '#{id}', '#' || order_id)`);
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

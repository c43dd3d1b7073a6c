// Entity → JSON DTO mappings: explicit, so nothing (like a password hash) leaks by accident.
import type { IProduct, IUser } from '../db/entities.ts';
import type { OrderView } from '../orders/order-view.ts';
import { toJsonNumber } from '../domain/money.ts';

export const toUserDto = (u: Pick<IUser, 'id' | 'name' | 'email' | 'createdAt' | 'updatedAt'>) => ({
  id: u.id,
  name: u.name,
  email: u.email,
  createdAt: u.createdAt.toISOString(),
  updatedAt: u.updatedAt.toISOString(),
});

/** A product entity, or a row read with SQL (price as text, createdAt already ISO text). */
type ProductLike = Pick<IProduct, 'id' | 'name' | 'description' | 'price' | 'stock'> & { createdAt: Date | string };

export const toProductDto = (p: ProductLike) => ({
  id: p.id,
  name: p.name,
  description: p.description ?? null,
  price: toJsonNumber(p.price),
  stock: p.stock,
  createdAt: typeof p.createdAt === 'string' ? p.createdAt : p.createdAt.toISOString(),
});

export const toOrderDto = (o: OrderView) => ({
  id: o.id,
  userId: o.userId,
  total: toJsonNumber(o.total),
  status: o.status,
  phase: o.phase,
  paymentDueAt: o.paymentDueAt,
  createdAt: o.createdAt,
  updatedAt: o.updatedAt,
  items: o.items.map((i) => ({ ...i, price: toJsonNumber(i.price) })),
});

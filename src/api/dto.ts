// Entity → JSON DTO mappings: explicit, so nothing (like a password hash) leaks by accident.
import type { IOrder, IProduct, IUser } from '../db/entities.ts';
import { toJsonNumber } from '../domain/money.ts';

export const toUserDto = (u: IUser) => ({
  id: u.id,
  name: u.name,
  email: u.email,
  createdAt: u.createdAt.toISOString(),
  updatedAt: u.updatedAt.toISOString(),
});

export const toProductDto = (p: IProduct) => ({
  id: p.id,
  name: p.name,
  description: p.description ?? null,
  price: toJsonNumber(p.price),
  stock: p.stock,
  createdAt: p.createdAt.toISOString(),
});

/** Needs the order's items with their products populated. */
export const toOrderDto = (o: IOrder) => ({
  id: o.id,
  userId: o.user.id,
  total: toJsonNumber(o.total),
  status: o.status,
  createdAt: o.createdAt.toISOString(),
  updatedAt: o.updatedAt.toISOString(),
  items: o.items
    .getItems()
    .sort((a, b) => a.id - b.id)
    .map((i) => ({ id: i.id, productId: i.product.id, productName: i.product.name, quantity: i.quantity, price: toJsonNumber(i.price) })),
});

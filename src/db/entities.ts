// MikroORM entity definitions (defineEntity: no decorators, so Node's type stripping runs the sources as they are).
// Money columns are numeric(18,2) mapped to strings and handled by src/domain/money.ts, never as binary floats.
// The tables themselves come from the hand-written migrations in ./migrations.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { OrderStatus } from '../domain/order-lifecycle.ts';

const now = () => new Date();

/** `admin` maintains the catalogue (when PRODUCT_WRITE_ACCESS=admin) and may read every user and order. */
export const USER_ROLES = ['customer', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.integer().primary(),
    name: p.string().length(100),
    email: p.string().length(100).unique(),
    passwordHash: p.string().length(255).hidden().lazy(),
    role: p.string().length(20).$type<UserRole>().default('customer'),
    /** Raised on every password change; tokens carry the version they were issued for (src/api/auth/tokens.ts). */
    credentialVersion: p.integer().default(1),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});

export const Product = defineEntity({
  name: 'Product',
  tableName: 'products',
  properties: {
    id: p.integer().primary(),
    name: p.string().length(100),
    description: p.string().length(1000).nullable(),
    price: p.decimal().precision(18).scale(2),
    stock: p.integer(),
    createdAt: p.datetime().onCreate(now),
  },
});

export const Order = defineEntity({
  name: 'Order',
  tableName: 'orders',
  properties: {
    id: p.integer().primary(),
    user: () => p.manyToOne(User),
    total: p.decimal().precision(18).scale(2),
    status: p.string().length(20).$type<OrderStatus>(),
    /** While a declined payment waits: when the order expires unless paid (written by OrderWorkflow; migration 0006). */
    paymentDueAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
    items: () => p.oneToMany(OrderItem).mappedBy('order'),
  },
});

export const OrderItem = defineEntity({
  name: 'OrderItem',
  tableName: 'order_items',
  properties: {
    id: p.integer().primary(),
    order: () => p.manyToOne(Order),
    product: () => p.manyToOne(Product),
    quantity: p.integer(),
    price: p.decimal().precision(18).scale(2),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});

export const Notification = defineEntity({
  name: 'Notification',
  tableName: 'notifications',
  properties: {
    id: p.integer().primary(),
    user: () => p.manyToOne(User),
    order: () => p.manyToOne(Order),
    message: p.string().length(500),
    /** The outcome event that caused the notification (OrderCompleted, OrderExpired, OrderCancelled). */
    eventType: p.string().length(30),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});

export type IUser = InferEntity<typeof User>;
export type IProduct = InferEntity<typeof Product>;
export type IOrder = InferEntity<typeof Order>;
export type INotification = InferEntity<typeof Notification>;

export const entities = [User, Product, Order, OrderItem, Notification];

// User use cases on PostgreSQL: register, read (yourself; an admin anyone), update your own profile (a new password
// ends every token issued before it) and delete your own account while you have no orders. E-mail addresses are
// stored in lower case and unique. Each use case works in a fork of its own (identity map, unit of work), so any
// EntityManager will do as the argument. Answers are plain views, never the password hash; errors are domain errors
// (src/domain/errors.ts), never HTTP.
import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Order, User, type IUser, type UserRole } from '../db/entities.ts';
import { AccessDeniedError, EmailTakenError, InUseError, notFound } from '../domain/errors.ts';
import { hashPassword } from './password.ts';

export type UserView = Pick<IUser, 'id' | 'name' | 'email' | 'createdAt' | 'updatedAt'>;
export type Registration = { name: string; email: string; password: string };
/** A profile update: `password` only when it changes. */
export type ProfileUpdate = { id: number; name: string; email: string; password?: string | undefined };
export type Caller = { id: number; role: UserRole };

const toView = ({ id, name, email, createdAt, updatedAt }: IUser): UserView => ({ id, name, email, createdAt, updatedAt });

const emailTaken = () => new EmailTakenError('Email already exists');

/** Whether the caller may read the account `id`: their own, or any as an admin (support). */
export const mayRead = (caller: Caller, id: number) => id === caller.id || caller.role === 'admin';

/** Only the account's owner changes or deletes it; checked before the account is looked up. */
export function ensureOwnAccount(callerId: number, id: number): void {
  if (id !== callerId) throw new AccessDeniedError('You can only change your own account');
}

/** Flushes, turning a unique-email race into the same error as the up-front check. */
async function flushUnique(em: EntityManager): Promise<void> {
  try {
    await em.flush();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw emailTaken();
    throw err;
  }
}

async function ownUser(em: EntityManager, callerId: number, id: number) {
  ensureOwnAccount(callerId, id);
  const user = await em.findOne(User, id);
  if (!user) throw notFound('User', id);
  return user;
}

export async function registerUser(em: EntityManager, { name, email, password }: Registration): Promise<UserView> {
  const work = em.fork();
  const normalized = email.toLowerCase();
  if (await work.count(User, { email: normalized })) throw emailTaken();
  const user = work.create(User, { name, email: normalized, passwordHash: await hashPassword(password) });
  await flushUnique(work);
  return toView(user);
}

export async function readUser(em: EntityManager, caller: Caller, id: number): Promise<UserView> {
  if (!mayRead(caller, id)) throw new AccessDeniedError('You can only read your own account');
  const user = await em.fork().findOne(User, id);
  if (!user) throw notFound('User', id);
  return toView(user);
}

/** Changes the caller's own profile; with a password, every token issued before stops working. */
export async function updateProfile(em: EntityManager, callerId: number, update: ProfileUpdate): Promise<UserView> {
  const work = em.fork();
  const user = await ownUser(work, callerId, update.id);
  const normalized = update.email.toLowerCase();
  if (normalized !== user.email && (await work.count(User, { email: normalized }))) throw emailTaken();
  user.name = update.name;
  user.email = normalized;
  if (update.password !== undefined) {
    user.passwordHash = await hashPassword(update.password);
    // Every token issued before this change stops working (src/api/auth/auth.middleware.ts).
    user.credentialVersion += 1;
  }
  await flushUnique(work);
  return toView(user);
}

/** Deletes the caller's own account, only while no order refers to it (orders keep their user). */
export async function deleteUser(em: EntityManager, callerId: number, id: number): Promise<void> {
  const work = em.fork();
  const user = await ownUser(work, callerId, id);
  const orderCount = await work.count(Order, { user: id });
  if (orderCount > 0) {
    throw new InUseError(`Cannot delete user with existing orders (${orderCount}). Delete or complete the orders first.`, { orderCount });
  }
  try {
    await work.remove(user).flush();
  } catch (err) {
    // An order placed between the count and the delete: the foreign key refuses, same answer as above.
    if (err instanceof ForeignKeyConstraintViolationException) throw new InUseError('Cannot delete user with existing orders.');
    throw err;
  }
}

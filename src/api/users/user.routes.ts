// /api/user: register (anonymous), read (yourself; an admin anyone), update and delete (only yourself).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Order, User } from '../../db/entities.ts';
import { entityManager, type AppEnv } from '../context.ts';
import { toUserDto } from '../dto.ts';
import { AccessDeniedError, notFound } from '../../domain/errors.ts';
import { AppError } from '../errors.ts';
import { errors, jsonBody, ok, route, router } from '../openapi.ts';
import { IdParam, Message, RegisterRequest, UpdateUserRequest, UserDto } from '../schemas.ts';
import { hashPassword } from '../../users/password.ts';

const emailTaken = () => new AppError('email-taken', 'Email already exists');

const register = route({
  operationId: 'registerUser',
  method: 'put',
  path: '/api/user',
  access: 'public',
  tags: ['Users'],
  summary: 'Register a new user',
  request: { body: jsonBody(RegisterRequest) },
  responses: { 201: ok(UserDto, 'The new user (Location header points to it)'), ...errors(409) },
});
const update = route({
  operationId: 'updateUser',
  method: 'post',
  path: '/api/user',
  tags: ['Users'],
  summary: 'Update your own profile',
  access: 'authenticated',
  request: { body: jsonBody(UpdateUserRequest) },
  responses: { 200: ok(UserDto, 'The updated user'), ...errors(403, 404, 409) },
});
const getOne = route({
  operationId: 'getUser',
  method: 'get',
  path: '/api/user/{id}',
  tags: ['Users'],
  summary: 'Get your own user (an admin: any user)',
  access: 'authenticated',
  request: { params: IdParam },
  responses: { 200: ok(UserDto, 'The user'), ...errors(403, 404) },
});
const remove = route({
  operationId: 'deleteUser',
  method: 'delete',
  path: '/api/user/{id}',
  tags: ['Users'],
  summary: 'Delete your own account (only while you have no orders)',
  access: 'authenticated',
  request: { params: IdParam },
  responses: { 200: ok(Message, 'Deleted'), ...errors(403, 404, 409) },
});

/** Flushes, turning a unique-email race into the same 409 as the up-front check. */
async function flushUnique(em: EntityManager): Promise<void> {
  try {
    await em.flush();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw emailTaken();
    throw err;
  }
}

async function ownUser(em: EntityManager, callerId: number, id: number) {
  if (id !== callerId) throw new AccessDeniedError('You can only change your own account');
  const user = await em.findOne(User, id);
  if (!user) throw notFound('User', id);
  return user;
}

export function userRoutes(): OpenAPIHono<AppEnv> {
  const app = router();
  app.openapi(register, async (c) => {
    const { name, email, password } = c.req.valid('json');
    const em = entityManager(c);
    const normalized = email.toLowerCase();
    if (await em.count(User, { email: normalized })) throw emailTaken();
    const user = em.create(User, { name, email: normalized, passwordHash: await hashPassword(password) });
    await flushUnique(em);
    c.header('Location', `/api/user/${user.id}`);
    return c.json(toUserDto(user), 201);
  });

  app.openapi(update, async (c) => {
    const { id, name, email, password } = c.req.valid('json');
    const em = entityManager(c);
    const user = await ownUser(em, c.var.userId, id);
    const normalized = email.toLowerCase();
    if (normalized !== user.email && (await em.count(User, { email: normalized }))) throw emailTaken();
    user.name = name;
    user.email = normalized;
    if (password !== undefined) {
      user.passwordHash = await hashPassword(password);
      // Every token issued before this change stops working (src/api/auth/auth.middleware.ts).
      user.credentialVersion += 1;
    }
    await flushUnique(em);
    // Other API processes hear it from PostgreSQL (a trigger's NOTIFY); this one needs not wait for that.
    if (password !== undefined) c.var.credentials.forget(id);
    return c.json(toUserDto(user), 200);
  });

  app.openapi(getOne, async (c) => {
    const { id } = c.req.valid('param');
    if (id !== c.var.userId && c.var.role !== 'admin') throw new AccessDeniedError('You can only read your own account');
    const user = await entityManager(c).findOne(User, id);
    if (!user) throw notFound('User', id);
    return c.json(toUserDto(user), 200);
  });

  app.openapi(remove, async (c) => {
    const { id } = c.req.valid('param');
    const em = entityManager(c);
    const user = await ownUser(em, c.var.userId, id);
    const orderCount = await em.count(Order, { user: id });
    if (orderCount > 0) {
      throw new AppError('in-use', `Cannot delete user with existing orders (${orderCount}). Delete or complete the orders first.`, {
        details: { orderCount },
      });
    }
    try {
      await em.remove(user).flush();
    } catch (err) {
      // An order placed between the count and the delete: the foreign key refuses, same answer as above.
      if (err instanceof ForeignKeyConstraintViolationException) throw new AppError('in-use', 'Cannot delete user with existing orders.');
      throw err;
    }
    c.var.credentials.forget(id);
    return c.json({ message: 'User deleted successfully' }, 200);
  });
  return app;
}

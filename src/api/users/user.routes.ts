// /api/user: register (anonymous), read (yourself; an admin anyone), update and delete (only yourself).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { deleteUser, readUser, registerUser, updateProfile } from '../../users/user.service.ts';
import { db, type AppEnv } from '../context.ts';
import { toUserDto } from '../dto.ts';
import { errors, jsonBody, ok, route, router } from '../openapi.ts';
import { IdParam, Message, RegisterRequest, UpdateUserRequest, UserDto } from '../schemas.ts';

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

export function userRoutes(): OpenAPIHono<AppEnv> {
  const app = router();
  app.openapi(register, async (c) => {
    const user = await registerUser(db(c), c.req.valid('json'));
    c.header('Location', `/api/user/${user.id}`);
    return c.json(toUserDto(user), 201);
  });

  app.openapi(update, async (c) => {
    const body = c.req.valid('json');
    const user = await updateProfile(db(c), c.get('userId'), body);
    // Other API processes hear it from PostgreSQL (a trigger's NOTIFY); this one needs not wait for that.
    if (body.password !== undefined) c.get('credentials').forget(user.id);
    return c.json(toUserDto(user), 200);
  });

  app.openapi(getOne, async (c) => {
    const user = await readUser(db(c), { id: c.get('userId'), role: c.get('role') }, c.req.valid('param').id);
    return c.json(toUserDto(user), 200);
  });

  app.openapi(remove, async (c) => {
    const { id } = c.req.valid('param');
    await deleteUser(db(c), c.get('userId'), id);
    c.get('credentials').forget(id);
    return c.json({ message: 'User deleted successfully' }, 200);
  });
  return app;
}

// /api/user: registration (PUT), profile update (POST), read (GET) and deletion (DELETE) of one's own account.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import {
  MISSING_ID,
  createOrder,
  createProduct,
  expectError,
  expectNoPasswordMaterial,
  expectStatus,
  passwordHashOf,
  sql,
  uniqueName,
  userDto,
  type MessageBody,
  type UserDto,
} from './support.ts';

let api: TestApi;
/** The seeded admin's token. */
const adminToken = () => api.login('admin@example.com', 'Password123!');
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

/** A fresh, lower-case e-mail address; with `length`, exactly that many characters (local part padded, one long label). */
function uniqueEmail(length?: number): string {
  const local = uniqueName('u').replace(/\W+/g, '-').toLowerCase();
  if (length === undefined) return `${local}@example.com`;
  const domain = `${'x'.repeat(40)}.example.com`;
  const padded = local.padEnd(length - 1 - domain.length, 'x');
  if (padded.length + 1 + domain.length !== length) throw new Error(`cannot build an e-mail of ${length} characters`);
  return `${padded}@${domain}`;
}

const register = (body: Record<string, unknown>) => api.request<UserDto>('PUT', '/api/user', { body });

describe('PUT /api/user (registration)', () => {
  it('when the body is valid, then 201 with the UserDto and a Location header to the new user', async () => {
    const name = uniqueName('New Person');
    const email = uniqueEmail();

    const res = await register({ name, email, password: 'Secret123!' });

    expectStatus(res, 201);
    expect(res.body).toEqual(userDto({ name, email }));
    expect(res.headers.get('location')).toBe(`/api/user/${res.body.id}`);
  });

  it('when a user registers, then the password is stored only as a hash and never appears in the response', async () => {
    const password = 'Plain-Text-Secret-42';

    const res = await register({ name: 'Hashed Person', email: uniqueEmail(), password });

    expectStatus(res, 201);
    const hash = await passwordHashOf(api, res.body.id);
    expect(hash).not.toContain(password);
    expect(res.text).not.toContain(password);
    expectNoPasswordMaterial(res, [hash]);
  });

  it('when the e-mail is already registered, then 409 "Email already exists"', async () => {
    const existing = await api.newUser();

    const res = await register({ name: 'Copycat', email: existing.email, password: 'Secret123!' });

    expectError(res, 409, 'Email already exists');
    expect((res.body as unknown as { code: string }).code).toBe('email-taken');
  });

  it('when the e-mail differs from a registered one only in letter case, then 409 "Email already exists"', async () => {
    const existing = await api.newUser();

    const res = await register({ name: 'Copycat', email: existing.email.toUpperCase(), password: 'Secret123!' });

    expectError(res, 409, 'Email already exists');
  });

  it('when every field is at its upper length limit (name 100, e-mail 100, password 100) or the password at 6, then 201', async () => {
    const longest = await register({ name: 'n'.repeat(100), email: uniqueEmail(100), password: 'p'.repeat(100) });
    const shortestPassword = await register({ name: 'N', email: uniqueEmail(), password: 'p'.repeat(6) });

    expectStatus(longest, 201);
    expect(longest.body.name).toBe('n'.repeat(100));
    expect(longest.body.email).toHaveLength(100);
    expectStatus(shortestPassword, 201);
  });

  it.each([
    { case: 'the name is missing', body: (email: string) => ({ email, password: 'Secret123!' }) },
    { case: 'the name is empty', body: (email: string) => ({ name: '', email, password: 'Secret123!' }) },
    { case: 'the name is 101 characters', body: (email: string) => ({ name: 'n'.repeat(101), email, password: 'Secret123!' }) },
    { case: 'the e-mail is missing', body: () => ({ name: 'Someone', password: 'Secret123!' }) },
    { case: 'the e-mail is not an e-mail address', body: () => ({ name: 'Someone', email: 'not-an-email', password: 'Secret123!' }) },
    { case: 'the e-mail is 101 characters', body: () => ({ name: 'Someone', email: uniqueEmail(101), password: 'Secret123!' }) },
    { case: 'the password is missing', body: (email: string) => ({ name: 'Someone', email }) },
    { case: 'the password is 5 characters', body: (email: string) => ({ name: 'Someone', email, password: '12345' }) },
    { case: 'the password is 101 characters', body: (email: string) => ({ name: 'Someone', email, password: 'p'.repeat(101) }) },
  ])('when $case, then 400 with a message and no user is created', async ({ body }) => {
    const sent: Record<string, unknown> = body(uniqueEmail());

    const res = await register(sent);

    expectError(res, 400);
    if (typeof sent.email === 'string')
      expect(await sql(api, 'select id from users where lower(email) = lower(?)', [sent.email])).toEqual([]);
  });
});

describe('GET /api/user/{id}', () => {
  it('when a user reads their own profile, then 200 with the UserDto', async () => {
    const name = uniqueName('Reader');
    const user = await api.newUser(name);

    const res = await api.request<UserDto>('GET', `/api/user/${user.id}`, { token: user.token });

    expectStatus(res, 200);
    expect(res.body).toEqual(userDto({ id: user.id, name, email: user.email }));
    expectNoPasswordMaterial(res, [await passwordHashOf(api, user.id)]);
  });

  it("when a customer reads another user's profile, then 403 and nothing of that user is shown", async () => {
    const reader = await api.newUser();
    const other = await api.newUser(uniqueName('Other'));

    const res = await api.request<UserDto>('GET', `/api/user/${other.id}`, { token: reader.token });

    expectError(res, 403);
    expect(res.text).not.toContain(other.email);
  });

  it("when the admin reads another user's profile, then 200 with that UserDto", async () => {
    const other = await api.newUser(uniqueName('Other'));

    const res = await api.request<UserDto>('GET', `/api/user/${other.id}`, { token: await adminToken() });

    expectStatus(res, 200);
    expect(res.body).toEqual(userDto({ id: other.id, email: other.email }));
  });

  it('when the user does not exist, then 404 for the admin and 403 for a customer (who may read only themselves)', async () => {
    const reader = await api.newUser();

    expectError(await api.request('GET', `/api/user/${MISSING_ID}`, { token: await adminToken() }), 404);
    expectError(await api.request('GET', `/api/user/${MISSING_ID}`, { token: reader.token }), 403);
  });
});

describe('POST /api/user (profile update)', () => {
  it('when a user updates their name and e-mail, then 200 with the new values, lower-cased e-mail, and GET shows them', async () => {
    const user = await api.newUser();
    const name = uniqueName('Renamed');
    const email = uniqueEmail().replace('@example.com', '@Example.COM');

    const res = await api.request<UserDto>('POST', '/api/user', { token: user.token, body: { id: user.id, name, email } });

    expectStatus(res, 200);
    expect(res.body).toEqual(userDto({ id: user.id, name, email: email.toLowerCase() }));
    expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(res.body.createdAt));
    const read = await api.request<UserDto>('GET', `/api/user/${user.id}`, { token: user.token });
    expect(read.body).toEqual(res.body);
    expectNoPasswordMaterial(res, [await passwordHashOf(api, user.id)]);
  });

  it('when the password is omitted, then the old password still logs in', async () => {
    const user = await api.newUser();

    const res = await api.request('POST', '/api/user', {
      token: user.token,
      body: { id: user.id, name: 'Same Password', email: user.email },
    });

    expectStatus(res, 200);
    await expect(api.login(user.email, user.password)).resolves.toEqual(expect.any(String));
  });

  it('when a new password is given, then it logs in and the old one gets 401', async () => {
    const user = await api.newUser();
    const hashBefore = await passwordHashOf(api, user.id);

    const res = await api.request('POST', '/api/user', {
      token: user.token,
      body: { id: user.id, name: 'New Password', email: user.email, password: 'Brand-New-Secret-7' },
    });

    expectStatus(res, 200);
    expect(await passwordHashOf(api, user.id)).not.toBe(hashBefore);
    expectNoPasswordMaterial(res, [hashBefore, await passwordHashOf(api, user.id)]);
    await expect(api.login(user.email, 'Brand-New-Secret-7')).resolves.toEqual(expect.any(String));
    const old = await api.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
    expectError(old, 401, 'Invalid email or password');
  });

  it('when the e-mail belongs to another user, then 409 (already exists) and neither user changes', async () => {
    const user = await api.newUser('Keeps Name');
    const other = await api.newUser();

    const res = await api.request('POST', '/api/user', { token: user.token, body: { id: user.id, name: 'Thief', email: other.email } });

    expectError(res, 409, /email already exists/i);
    const rows = await sql<{ id: number; name: string; email: string }>(
      api,
      'select id, name, email from users where id in (?, ?) order by id',
      [user.id, other.id],
    );
    expect(rows).toEqual([
      { id: user.id, name: 'Keeps Name', email: user.email },
      { id: other.id, name: 'Test Person', email: other.email },
    ]);
  });

  it('when the id is not the caller, then 403 and the other user is unchanged', async () => {
    const caller = await api.newUser();
    const victim = await api.newUser('Victim');

    const res = await api.request('POST', '/api/user', {
      token: caller.token,
      body: { id: victim.id, name: 'Hijacked', email: uniqueEmail(), password: 'Hijacked-1' },
    });

    expectError(res, 403);
    const read = await api.request<UserDto>('GET', `/api/user/${victim.id}`, { token: victim.token });
    expect(read.body).toEqual(userDto({ id: victim.id, name: 'Victim', email: victim.email }));
    await expect(api.login(victim.email, victim.password)).resolves.toEqual(expect.any(String));
  });

  it('when the id is of no user at all, then 403 (it is not the caller either)', async () => {
    const caller = await api.newUser();

    const res = await api.request('POST', '/api/user', {
      token: caller.token,
      body: { id: MISSING_ID, name: 'Ghost', email: uniqueEmail() },
    });

    expectError(res, 403);
  });

  it('when the token belongs to a user that has been deleted, then 401 (the token died with the account)', async () => {
    const user = await api.newUser();
    expectStatus(await api.request('DELETE', `/api/user/${user.id}`, { token: user.token }), 200);

    const res = await api.request('POST', '/api/user', { token: user.token, body: { id: user.id, name: 'Revenant', email: user.email } });

    expectError(res, 401);
  });

  it.each([
    { case: 'the id is missing', body: (_id: number, email: string) => ({ name: 'Someone', email }) },
    { case: 'the id is not a number', body: (id: number, email: string) => ({ id: `${id}x`, name: 'Someone', email }) },
    { case: 'the name is empty', body: (id: number, email: string) => ({ id, name: '', email }) },
    { case: 'the name is 101 characters', body: (id: number, email: string) => ({ id, name: 'n'.repeat(101), email }) },
    { case: 'the e-mail is invalid', body: (id: number) => ({ id, name: 'Someone', email: 'not-an-email' }) },
    { case: 'the password is 5 characters', body: (id: number, email: string) => ({ id, name: 'Someone', email, password: '12345' }) },
  ])('when $case, then 400 with a message and the profile is unchanged', async ({ body }) => {
    const user = await api.newUser('Unchanged');

    const res = await api.request('POST', '/api/user', { token: user.token, body: body(user.id, uniqueEmail()) });

    expectError(res, 400);
    const read = await api.request<UserDto>('GET', `/api/user/${user.id}`, { token: user.token });
    expect(read.body).toEqual(userDto({ id: user.id, name: 'Unchanged', email: user.email }));
  });

  it('when a user keeps their own e-mail, then 200 (their own address is not "already existing")', async () => {
    const user = await api.newUser();

    const res = await api.request<UserDto>('POST', '/api/user', {
      token: user.token,
      body: { id: user.id, name: 'Same Email', email: user.email },
    });

    expectStatus(res, 200);
    expect(res.body).toEqual(userDto({ id: user.id, name: 'Same Email', email: user.email }));
  });
});

describe('DELETE /api/user/{id}', () => {
  it('when a user without orders deletes themselves, then 200 with a message and the user is gone (GET 404)', async () => {
    const user = await api.newUser();

    const res = await api.request<MessageBody>('DELETE', `/api/user/${user.id}`, { token: user.token });

    expectStatus(res, 200);
    expect(res.body).toEqual({ message: expect.any(String) });
    expectError(await api.request('GET', `/api/user/${user.id}`, { token: await adminToken() }), 404);
    expectError(await api.request('GET', `/api/product`, { token: user.token }), 401);
    expect(await sql(api, 'select id from users where id = ?', [user.id])).toEqual([]);
    expectError(await api.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } }), 401);
  });

  it('when a deleted user deletes themselves again with their old token, then 401', async () => {
    const user = await api.newUser();
    expectStatus(await api.request('DELETE', `/api/user/${user.id}`, { token: user.token }), 200);

    const res = await api.request('DELETE', `/api/user/${user.id}`, { token: user.token });

    expectError(res, 401);
  });

  it('when the user has orders, then 409 with a message about the orders, and the user and orders stay', async () => {
    const user = await api.newUser();
    const product = await createProduct(api, user.token);
    const order = await createOrder(api, user.token, [{ productId: product.id, quantity: 1 }]);

    const res = await api.request('DELETE', `/api/user/${user.id}`, { token: user.token });

    expectError(res, 409, /order/i);
    expectStatus(await api.request('GET', `/api/user/${user.id}`, { token: user.token }), 200);
    expectStatus(await api.request('GET', `/api/order/${order.id}`, { token: user.token }), 200);
  });

  it('when the id is another user, then 403 and that user still exists', async () => {
    const caller = await api.newUser();
    const victim = await api.newUser();

    const res = await api.request('DELETE', `/api/user/${victim.id}`, { token: caller.token });

    expectError(res, 403);
    expectStatus(await api.request('GET', `/api/user/${victim.id}`, { token: victim.token }), 200);
  });

  it('when the id is of no user at all, then 403 (it is not the caller either)', async () => {
    const caller = await api.newUser();

    const res = await api.request('DELETE', `/api/user/${MISSING_ID}`, { token: caller.token });

    expectError(res, 403);
  });
});

// Token checks remembered per API process (src/api/auth/credentials.ts) on the real PostgreSQL: two in-process APIs
// stand for two API processes, each with its own store and LISTEN connection. A change made through one API, or
// straight in the database (any other process or tool), ends the old tokens on the other as well.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CredentialStore,
  listenForCredentialChanges,
  type CredentialListener,
  type Credentials,
} from '../../../src/api/auth/credentials.ts';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import { testLogger } from '../../helpers/config.ts';
import { eventually } from '../../helpers/eventually.ts';
import { expectStatus, sql } from './support.ts';

const TTL_MS = 10 * 60 * 1000; // long: every forgetting seen here comes from a notification or a local change
let first: TestApi;
let second: TestApi;
const stores: CredentialStore[] = [];
const listeners: CredentialListener[] = [];

function listeningStore(api: TestApi): CredentialStore {
  const store = new CredentialStore({ ttlMs: TTL_MS });
  stores.push(store);
  listeners.push(listenForCredentialChanges(api.config.DATABASE_URL, store, testLogger(api.config)));
  return store;
}

beforeAll(async () => {
  const probe = await startTestApi();
  const [a, b] = [listeningStore(probe), listeningStore(probe)];
  await probe.close();
  first = await startTestApi({}, { credentials: a });
  second = await startTestApi({}, { credentials: b });
  await eventually(async () => stores.every((s) => s.listening), Boolean, { what: 'both stores listening' });
});
afterAll(async () => {
  await Promise.all(listeners.map((l) => l.stop()));
  await first.close();
  await second.close();
});

/** Reads the user's row through the store, counting how often the database is actually read. */
function countingReader(api: TestApi) {
  let reads = 0;
  const read = async (id: number): Promise<Credentials | undefined> => {
    reads++;
    const [row] = await sql<{ role: 'admin' | 'customer'; credential_version: number }>(
      api,
      'select role, credential_version from users where id = ?',
      [id],
    );
    return row && { role: row.role, credentialVersion: row.credential_version };
  };
  return { read, reads: () => reads };
}

describe('remembered token checks', () => {
  it('when a user is looked up twice while notifications are heard, then the database is read once', async () => {
    const user = await first.newUser('Cached Once');
    const store = stores[0]!;
    const reader = countingReader(first);

    const one = await store.lookup(user.id, reader.read);
    const two = await store.lookup(user.id, reader.read);

    expect(one).toEqual({ role: 'customer', credentialVersion: 1 });
    expect(two).toMatchObject({ role: 'customer', credentialVersion: 1 });
    expect(reader.reads()).toBe(1);
  });

  it('when the row changes in the database directly, then the notification makes the store read it again', async () => {
    const user = await first.newUser('Changed Elsewhere');
    const store = stores[1]!;
    const reader = countingReader(first);
    await store.lookup(user.id, reader.read);

    await sql(first, 'update users set credential_version = credential_version + 1 where id = ?', [user.id]);

    const seen = await eventually(
      () => store.lookup(user.id, reader.read),
      (c) => c?.credentialVersion === 2,
      { what: 'the new credential version seen through the store' },
    );
    expect(seen).toMatchObject({ credentialVersion: 2 });
    expect(reader.reads()).toBe(2);
  });

  it('when one API changes the password, then the old token is refused by that API at once and by the other soon after', async () => {
    const user = await first.newUser('Password Changer');
    expectStatus(await second.request('GET', `/api/user/${user.id}`, { token: user.token }), 200); // remembered there
    expectStatus(await first.request('GET', `/api/user/${user.id}`, { token: user.token }), 200);

    const changed = await first.request('POST', '/api/user', {
      token: user.token,
      body: { id: user.id, name: 'Password Changer', email: user.email, password: 'Another123!' },
    });
    expectStatus(changed, 200);

    expectStatus(await first.request('GET', `/api/user/${user.id}`, { token: user.token }), 401);
    await eventually(
      () => second.request('GET', `/api/user/${user.id}`, { token: user.token }),
      (res) => res.status === 401,
      { what: 'the other API refusing the old token' },
    );
    const fresh = await second.login(user.email, 'Another123!');
    expectStatus(await second.request('GET', `/api/user/${user.id}`, { token: fresh }), 200);
  });

  it('when a user is deleted through one API, then the other refuses its token soon after', async () => {
    const user = await first.newUser('Deleted Elsewhere');
    expectStatus(await second.request('GET', `/api/user/${user.id}`, { token: user.token }), 200);

    expectStatus(await first.request('DELETE', `/api/user/${user.id}`, { token: user.token }), 200);

    await eventually(
      () => second.request('GET', `/api/user/${user.id}`, { token: user.token }),
      (res) => res.status === 401,
      { what: 'the other API refusing the deleted user token' },
    );
  });

  it('when the store stops hearing notifications, then it remembers nothing and reads every time', async () => {
    const user = await first.newUser('Not Listening');
    const store = new CredentialStore({ ttlMs: TTL_MS });
    const listener = listenForCredentialChanges(first.config.DATABASE_URL, store, testLogger(first.config));
    await eventually(async () => store.listening, Boolean, { what: 'listening' });
    const reader = countingReader(first);
    await store.lookup(user.id, reader.read);
    await store.lookup(user.id, reader.read);
    expect(reader.reads()).toBe(1);

    await listener.stop();
    await store.lookup(user.id, reader.read);
    await store.lookup(user.id, reader.read);

    expect(store.listening).toBe(false);
    expect(reader.reads()).toBe(3);
  });
});

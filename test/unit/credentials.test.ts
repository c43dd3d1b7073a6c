// The token-check store's rules without a database (reads are stubs): what it remembers, for how long, and that a
// change announced while a read is under way is never overwritten by that read's older answer.
import { describe, expect, it } from '@jest/globals';
import { CredentialStore, type Credentials } from '../../src/api/auth/credentials.ts';

const row = (credentialVersion: number): Credentials => ({ role: 'customer', credentialVersion });

function listening(ttlMs = 60_000, maxEntries?: number) {
  const store = new CredentialStore({ ttlMs, maxEntries });
  store.setListening(true);
  return store;
}

describe('CredentialStore', () => {
  it('when not listening, then every lookup reads', async () => {
    const store = new CredentialStore({ ttlMs: 60_000 });
    let reads = 0;
    const read = async () => (reads++, row(1));

    await store.lookup(1, read);
    await store.lookup(1, read);

    expect(reads).toBe(2);
  });

  it('when listening, then a user is read once, and again after forget', async () => {
    const store = listening();
    let reads = 0;
    const read = async () => (reads++, row(1));

    await store.lookup(1, read);
    await store.lookup(1, read);
    store.forget(1);
    await store.lookup(1, read);

    expect(reads).toBe(2);
  });

  it('when the ttl is 0, then nothing is remembered', async () => {
    const store = listening(0);
    let reads = 0;
    const read = async () => (reads++, row(1));

    await store.lookup(1, read);
    await store.lookup(1, read);

    expect(reads).toBe(2);
  });

  it('when a user is forgotten while its row is being read, then that read answers but is not remembered', async () => {
    const store = listening();
    let release!: () => void;
    const slowOldRead = () => new Promise<Credentials>((resolve) => (release = () => resolve(row(1))));

    const pending = store.lookup(1, slowOldRead);
    store.forget(1); // the row changed to version 2 after the read began
    release();
    expect(await pending).toEqual(row(1));

    expect(await store.lookup(1, async () => row(2))).toEqual(row(2));
  });

  it('when a missing user is looked up, then the absence is not remembered', async () => {
    const store = listening();
    let reads = 0;
    const read = async () => (reads++, undefined);

    expect(await store.lookup(7, read)).toBeUndefined();
    expect(await store.lookup(7, read)).toBeUndefined();
    expect(reads).toBe(2);
  });

  it('when more users than the bound are looked up, then the oldest is dropped first', async () => {
    const store = listening(60_000, 2);
    const reads: number[] = [];
    const read = async (id: number) => (reads.push(id), row(1));

    for (const id of [1, 2, 3, 1]) await store.lookup(id, read);

    expect(reads).toEqual([1, 2, 3, 1]);
  });

  it('when listening stops, then everything remembered is dropped', async () => {
    const store = listening();
    let reads = 0;
    const read = async () => (reads++, row(1));
    await store.lookup(1, read);

    store.setListening(false);
    store.setListening(true);
    await store.lookup(1, read);

    expect(reads).toBe(2);
  });
});

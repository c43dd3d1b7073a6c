// Whether a token still names a live user at the credential version it was issued for, and that user's role.
//
// Every authenticated request needs the answer; reading the users row each time was half the database work of a
// catalogue read. So each API process remembers the rows it read, and forgets a user the moment PostgreSQL says the row
// changed: a trigger (migration 0007) sends NOTIFY user_credentials, <id> when a user's role or credential version
// changes or the user is deleted, and every API process LISTENs on a connection of its own. NOTIFY is delivered on
// commit to every listener, whichever process made the change.
//
// The memory is used only while that LISTEN connection is up: before it is established, after it broke (notifications
// could have been missed) and until it is back, every request reads the row, as before. A change made by this process
// is also forgotten at once, without waiting for its own notification, and an entry is never older than `ttlMs`.
import pg from 'pg';
import type { Logger } from '../../logger.ts';

export type Credentials = { role: 'admin' | 'customer'; credentialVersion: number };
type Entry = Credentials & { readAt: number };

export const CREDENTIALS_CHANNEL = 'user_credentials';

export type CredentialsOptions = {
  /** How long a remembered row may be used (0 turns remembering off). */
  ttlMs: number;
  /** Upper bound on remembered users (the oldest are dropped first). */
  maxEntries?: number;
};

export class CredentialStore {
  readonly #entries = new Map<number, Entry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  /** Bumped by every forget: a read that started before a forget must not store what it read. */
  #epoch = 0;
  #listening = false;

  constructor({ ttlMs, maxEntries = 100_000 }: CredentialsOptions) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
  }

  /** The user's credentials, remembered or read with `read` (undefined: no such user). */
  async lookup(userId: number, read: (userId: number) => Promise<Credentials | undefined>): Promise<Credentials | undefined> {
    const now = Date.now();
    const known = this.#entries.get(userId);
    if (known && this.#listening && now - known.readAt < this.#ttlMs) return known;
    const epoch = this.#epoch;
    const row = await read(userId);
    if (row && this.#listening && this.#ttlMs > 0 && epoch === this.#epoch) {
      if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.delete(userId); // re-inserted last: Map order is insertion order, the oldest go first
      this.#entries.set(userId, { ...row, readAt: now });
    }
    return row;
  }

  /** The user's row changed (or may have): the next request reads it again. */
  forget(userId: number): void {
    this.#epoch++;
    this.#entries.delete(userId);
  }

  /** Notifications are (or are no longer) being received: without them nothing may be remembered. */
  setListening(listening: boolean): void {
    this.#epoch++;
    this.#entries.clear();
    this.#listening = listening;
  }

  get listening(): boolean {
    return this.#listening;
  }
}

export type CredentialListener = { stop: () => Promise<void> };

/**
 * Keeps a LISTEN connection open for `store`, reconnecting with capped backoff; the store remembers nothing while it
 * is down. Returns at once (the first connection is made in the background).
 */
export function listenForCredentialChanges(database: string | pg.ClientConfig, store: CredentialStore, log: Logger): CredentialListener {
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;

  const connect = async () => {
    if (stopped) return;
    const next = new pg.Client({ ...(typeof database === 'string' ? { connectionString: database } : database), keepAlive: true });
    client = next;
    const lost = (err?: Error) => {
      if (client !== next) return;
      client = undefined;
      store.setListening(false);
      next.removeAllListeners();
      next.end().catch(() => undefined);
      if (stopped) return;
      failures++;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
      log.warn(
        { err: err?.message, retryInMs: delay },
        'credential change notifications lost: every request reads its user until they are back',
      );
      retry = setTimeout(() => void connect(), delay);
    };
    next.on('error', lost);
    next.on('end', () => lost());
    next.on('notification', (msg) => {
      const id = Number(msg.payload);
      if (Number.isInteger(id)) store.forget(id);
      else store.setListening(true); // an unexpected payload: forget everything, keep listening
    });
    try {
      await next.connect();
      await next.query(`listen ${CREDENTIALS_CHANNEL}`);
      if (client !== next || stopped) return;
      store.setListening(true);
      if (failures > 0) log.info('credential change notifications back');
      failures = 0;
    } catch (err) {
      lost(err as Error);
    }
  };
  void connect();

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      store.setListening(false);
      await current?.end().catch(() => undefined);
    },
  };
}

// Login throttling: failed logins per account and attempts per client address, each counted in a fixed window. Past
// either limit the login is refused with 429 and Retry-After before the password is checked, so guessing costs the
// attacker time without telling them anything. The counters live in the API process: with several API processes
// each one counts on its own (the limits then hold per process).
import type { Config } from '../../config.ts';

type Window = { count: number; resetAt: number };

/** Counts per key in fixed windows; bounded, so a flood of distinct keys cannot grow it without limit. */
export class WindowCounter {
  readonly #windows = new Map<string, Window>();
  readonly #windowMs: number;
  readonly #maxKeys: number;

  constructor(windowMs: number, maxKeys = 100_000) {
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
  }

  /** The key's count in its current window (0 once the window has passed). */
  count(key: string, now = Date.now()): number {
    const w = this.#windows.get(key);
    return w && w.resetAt > now ? w.count : 0;
  }

  /** Milliseconds until the key's window ends. */
  retryAfterMs(key: string, now = Date.now()): number {
    const w = this.#windows.get(key);
    return w && w.resetAt > now ? w.resetAt - now : 0;
  }

  add(key: string, now = Date.now()): void {
    let w = this.#windows.get(key);
    if (!w || w.resetAt <= now) {
      if (this.#windows.size >= this.#maxKeys) this.#evict(now);
      this.#windows.delete(key);
      this.#windows.set(key, (w = { count: 0, resetAt: now + this.#windowMs }));
    }
    w.count += 1;
  }

  reset(key: string): void {
    this.#windows.delete(key);
  }

  #evict(now: number): void {
    for (const [key, w] of this.#windows) if (w.resetAt <= now) this.#windows.delete(key);
    // Still full of live windows: drop the oldest tenth (the map keeps insertion order).
    let drop = this.#windows.size >= this.#maxKeys ? Math.ceil(this.#maxKeys / 10) : 0;
    for (const key of this.#windows.keys()) {
      if (drop-- <= 0) break;
      this.#windows.delete(key);
    }
  }
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; reason: string };

export type LoginThrottleConfig = Pick<Config, 'LOGIN_MAX_FAILURES_PER_ACCOUNT' | 'LOGIN_MAX_ATTEMPTS_PER_ADDRESS' | 'LOGIN_RATE_WINDOW'>;

export class LoginThrottle {
  readonly #failures: WindowCounter;
  readonly #attempts: WindowCounter;
  readonly #config: LoginThrottleConfig;

  constructor(config: LoginThrottleConfig) {
    this.#config = config;
    this.#failures = new WindowCounter(config.LOGIN_RATE_WINDOW);
    this.#attempts = new WindowCounter(config.LOGIN_RATE_WINDOW);
  }

  /** Call before checking the password; counts the attempt against the address. */
  attempt(account: string, address: string): ThrottleVerdict {
    const now = Date.now();
    if (this.#attempts.count(address, now) >= this.#config.LOGIN_MAX_ATTEMPTS_PER_ADDRESS) {
      return this.#refuse(this.#attempts.retryAfterMs(address, now), 'Too many login attempts from this address');
    }
    if (this.#failures.count(account, now) >= this.#config.LOGIN_MAX_FAILURES_PER_ACCOUNT) {
      return this.#refuse(this.#failures.retryAfterMs(account, now), 'Too many failed logins for this account');
    }
    this.#attempts.add(address, now);
    return { allowed: true };
  }

  failed(account: string): void {
    this.#failures.add(account);
  }

  succeeded(account: string): void {
    this.#failures.reset(account);
  }

  #refuse(retryAfterMs: number, reason: string): ThrottleVerdict {
    const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return { allowed: false, retryAfterSeconds, reason: `${reason}; retry in ${retryAfterSeconds} s` };
  }
}

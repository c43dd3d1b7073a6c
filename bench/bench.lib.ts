// Shared by the benchmark suites: settings from the environment (each recorded, so a run can be reproduced), the few
// API calls a benchmark needs to set itself up, a bounded-concurrency map, and the statistics they report.
// Benchmarks are clients of a running stack, so they read their own variables here; the app's own settings come from
// src/config.ts (bench/stack.ts reads the running app's environment with it).

export type Settings = Record<string, string | number | boolean>;

/** A positive number from the environment, or the default; anything else stops the run with a clear message. */
export function numberSetting(name: string, fallback: number, { integer = true } = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
  }
  return value;
}

export function stringSetting(name: string, fallback: string): string {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

export function booleanSetting(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new Error(`${name} must be true/false or 1/0, got "${raw}"`);
}

export function choiceSetting<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = stringSetting(name, fallback);
  if (!(choices as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** The database URL with another database name (same server and credentials). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export type Call = { method: string; path: string; body?: unknown; token?: string };

export class HttpError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

export async function call<T>(baseUrl: string, { method, path, body, token }: Call): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(new URL(path, baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new HttpError(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`, res.status);
  return JSON.parse(text) as T;
}

export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const { token } = await call<{ token: string }>(baseUrl, { method: 'POST', path: '/api/auth/login', body: { email, password } });
  return token;
}

/** A product of its own per run, so a benchmark never runs short of stock or touches the seeded catalogue. */
export async function createProduct(baseUrl: string, token: string, name: string, stock: number): Promise<number> {
  const body = { name, description: 'benchmark product', price: 1, stock };
  const { id } = await call<{ id: number }>(baseUrl, { method: 'PUT', path: '/api/product', body, token });
  return id;
}

export async function placeOrder(baseUrl: string, token: string, productId: number): Promise<number> {
  const body = { items: [{ productId, quantity: 1 }] };
  const { id } = await call<{ id: number }>(baseUrl, { method: 'PUT', path: '/api/order', body, token });
  return id;
}

/** Runs `work` over `items` with at most `limit` calls in flight; results keep the order of `items`. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Nearest-rank percentile (p in 0..100) of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export type Distribution = { n: number; p50: number; p99: number; max: number; mean: number };

/** p50, p99, max and mean of unsorted samples (NaN when there are none). */
export function distribution(samples: readonly number[]): Distribution {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? Number.NaN : sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: percentile(sorted, 100), mean };
}

export const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

export const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

/** Prints a line prefixed with the seconds since the run started, so long suites show their progress. */
const startedAt = performance.now();
export function progress(message: string): void {
  console.log(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${message}`);
}

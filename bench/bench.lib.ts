// Shared by the benchmark scripts: settings from the environment (each printed, so a run can be reproduced), the
// few API calls a benchmark needs to set itself up, and the statistics it reports. Benchmarks are clients of a
// running stack, so they read their own variables here instead of the app's src/config.ts.

export type Settings = Record<string, string | number>;

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

/** The command line that repeats this run with the same settings. */
export function reproduceCommand(script: string, settings: Settings): string {
  const env = Object.entries(settings).map(([k, v]) => `${k}=${/^[\w.:/@-]+$/.test(String(v)) ? v : `'${String(v)}'`}`);
  return [...env, 'node', script].join(' ');
}

async function call<T>(baseUrl: string, method: string, path: string, body: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(new URL(path, baseUrl), { method, headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const { token } = await call<{ token: string }>(baseUrl, 'POST', '/api/auth/login', { email, password });
  return token;
}

/** A product of its own per run, so a benchmark never runs short of stock or touches the seeded catalogue. */
export async function createProduct(baseUrl: string, token: string, name: string, stock: number): Promise<number> {
  const product = { name, description: 'benchmark product', price: 1, stock };
  const { id } = await call<{ id: number }>(baseUrl, 'PUT', '/api/product', product, token);
  return id;
}

export async function placeOrder(baseUrl: string, token: string, productId: number): Promise<number> {
  const { id } = await call<{ id: number }>(baseUrl, 'PUT', '/api/order', { items: [{ productId, quantity: 1 }] }, token);
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

export const ms = (value: number): string => `${value.toFixed(1)} ms`;

export const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

export function printSettings(settings: Settings): void {
  for (const [name, value] of Object.entries(settings)) console.log(`  ${name.padEnd(22)} ${value}`);
}

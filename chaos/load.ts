// The client side of the chaos run: seeded orders at a fixed rate through the API, each created with an
// Idempotency-Key (so a creation whose answer was lost, e.g. to an API kill, is retried safely), and some of them
// paid, cancelled or deleted later. Every answer is kept in a ledger that the reconciliation holds the saga to.
import { between, clock, integer, sleep, type Random } from './util.ts';
import type { Profile } from './schedule.ts';

export type Action = 'pay' | 'cancel' | 'delete';
export type Answer = { status: number; body?: { status?: string; currentStatus?: string; id?: number; message?: string } };

export type OrderRecord = {
  n: number;
  key: string;
  user: number;
  items: Array<{ productId: number; quantity: number }>;
  /** Set once a creation answered 201. */
  id?: number;
  create?: Answer;
  createAttempts: number;
  action?: Action;
  actionDelayMs?: number;
  actionAnswer?: Answer;
  actionAttempts: number;
  /** An earlier attempt of the action got no answer (network error or 5xx), so a later 404 may be its own effect. */
  actionAnswerLost?: boolean;
  error?: string;
};

/** A 5xx answer the client saw: when (the harness's clock), and whether it said when to retry. */
export type ServerError = { route: string; status: number; atS: number; retryAfter: string | null; message?: string };

export type Account = { id: number; email: string; token: string };

/** Answers that end a request; anything else (no answer, 5xx, 429) is retried with backoff until the deadline. */
const final = (status: number) => status < 500 && status !== 429;

export class ApiClient {
  readonly baseUrl: string;
  /** Answers per "METHOD route status", for the report. */
  readonly answers = new Map<string, number>();
  /** Every 5xx answer, for the check that they are 503s with Retry-After inside fault windows. */
  readonly serverErrors: ServerError[] = [];

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  private count(route: string, status: number | 'no answer') {
    const key = `${route} ${status}`;
    this.answers.set(key, (this.answers.get(key) ?? 0) + 1);
  }

  async once(
    method: string,
    path: string,
    route: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    try {
      const res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      this.count(route, res.status);
      let body: Answer['body'];
      try {
        body = JSON.parse(text) as Answer['body'];
      } catch {
        body = { message: text.slice(0, 200) };
      }
      if (res.status >= 500)
        this.serverErrors.push({
          route,
          status: res.status,
          atS: Number(clock().toFixed(1)),
          retryAfter: res.headers.get('retry-after'),
          message: body?.message?.slice(0, 200),
        });
      return { status: res.status, body };
    } catch (err) {
      this.count(route, 'no answer');
      throw err;
    }
  }

  /** Retries until a final answer or the deadline; `lost` is told when an attempt got no usable answer. */
  async retrying(
    method: string,
    path: string,
    route: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> },
    deadlineMs: number,
    lost: () => void = () => undefined,
  ): Promise<{ answer?: Answer; attempts: number; error?: string }> {
    const deadline = Date.now() + deadlineMs;
    let error: string | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await this.once(method, path, route, opts);
        if (final(answer.status)) return { answer, attempts: attempt };
        error = `${answer.status} ${answer.body?.message ?? ''}`;
      } catch (err) {
        error = String(err);
      }
      lost();
      if (Date.now() >= deadline) return { attempts: attempt, error };
      await sleep(Math.min(5000, 250 * 2 ** Math.min(attempt, 5)));
    }
  }
}

/** Users and products of this run, made through the API; stock high enough never to run out. */
export async function setUp(api: ApiClient, random: Random, users: number, products: number) {
  const accounts: Account[] = [];
  for (let i = 0; i < users; i++) {
    const email = `chaos-${i}@example.com`;
    const password = 'Chaos-password-1';
    const made = await api.retrying('PUT', '/api/user', 'PUT /api/user', { body: { name: `Chaos ${i}`, email, password } }, 60_000);
    if (made.answer?.status !== 201) throw new Error(`registering ${email}: ${JSON.stringify(made)}`);
    const login = await api.once('POST', '/api/auth/login', 'POST /api/auth/login', { body: { email, password } });
    const token = (login.body as { token?: string } | undefined)?.token;
    if (!token) throw new Error(`login of ${email}: ${JSON.stringify(login)}`);
    accounts.push({ id: made.answer.body!.id!, email, token });
  }
  const stock = new Map<number, number>();
  for (let i = 0; i < products; i++) {
    const body = { name: `chaos product ${i}`, description: 'chaos run', price: integer(random, 1, 50), stock: 1_000_000 };
    const made = await api.retrying('PUT', '/api/product', 'PUT /api/product', { token: accounts[0]!.token, body }, 60_000);
    if (made.answer?.status !== 201) throw new Error(`creating a product: ${JSON.stringify(made)}`);
    stock.set(made.answer.body!.id!, body.stock);
  }
  return { accounts, stock };
}

const ACTION_PATH: Record<Action, (id: number) => [string, string, string]> = {
  pay: (id) => ['POST', `/api/order/${id}/pay`, 'POST /api/order/{id}/pay'],
  cancel: (id) => ['POST', `/api/order/${id}/cancel`, 'POST /api/order/{id}/cancel'],
  delete: (id) => ['DELETE', `/api/order/${id}`, 'DELETE /api/order/{id}'],
};

/** Places orders at the profile's rate for its duration; resolves once every order's requests got their answers. */
export async function runLoad(opts: {
  api: ApiClient;
  random: Random;
  profile: Profile;
  expiryMs: number;
  accounts: Account[];
  productIds: number[];
  seed: number;
}): Promise<OrderRecord[]> {
  const { api, random, profile, expiryMs, accounts, productIds, seed } = opts;
  const orders: OrderRecord[] = [];
  const inFlight: Array<Promise<void>> = [];
  const started = Date.now();
  const total = Math.floor((profile.loadMs / 1000) * profile.ordersPerSecond);
  for (let n = 0; n < total; n++) {
    // Every draw happens here, in order, so the orders and their actions follow from the seed alone.
    const lines = integer(random, 1, 3);
    const picked = [...productIds].sort(() => random() - 0.5).slice(0, lines);
    const record: OrderRecord = {
      n,
      key: `chaos-${seed}-${n}`,
      user: integer(random, 0, accounts.length - 1),
      items: picked.map((productId) => ({ productId, quantity: integer(random, 1, 3) })),
      createAttempts: 0,
      actionAttempts: 0,
    };
    const r = random();
    const { pay, cancel } = profile.mix;
    if (r < pay) {
      record.action = 'pay';
      record.actionDelayMs = Math.round(between(random, 1000, expiryMs * 1.3));
    } else if (r < pay + cancel) {
      record.action = 'cancel';
      record.actionDelayMs = Math.round(between(random, 500, expiryMs));
    } else if (r < pay + cancel + profile.mix.delete) {
      record.action = 'delete';
      record.actionDelayMs = Math.round(between(random, 0, 3000));
    }
    orders.push(record);
    inFlight.push(placeAndAct(api, record, accounts[record.user]!.token));
    const next = started + ((n + 1) * 1000) / profile.ordersPerSecond;
    await sleep(Math.max(0, next - Date.now()));
  }
  await Promise.all(inFlight);
  return orders;
}

async function placeAndAct(api: ApiClient, record: OrderRecord, token: string): Promise<void> {
  const created = await api.retrying(
    'PUT',
    '/api/order',
    'PUT /api/order',
    { token, body: { items: record.items }, headers: { 'idempotency-key': record.key } },
    120_000,
  );
  record.createAttempts = created.attempts;
  record.create = created.answer;
  if (created.error && !created.answer) record.error = `creation: ${created.error}`;
  if (created.answer?.status === 201) record.id = created.answer.body!.id!;
  if (record.id === undefined || !record.action) return;
  await sleep(record.actionDelayMs ?? 0);
  const [method, path, route] = ACTION_PATH[record.action](record.id);
  const done = await api.retrying(method, path, route, { token }, 120_000, () => (record.actionAnswerLost = true));
  record.actionAttempts = done.attempts;
  record.actionAnswer = done.answer;
  if (!done.answer) record.error = `${record.action}: ${done.error}`;
}

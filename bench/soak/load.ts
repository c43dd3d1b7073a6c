// The soak's load: orders placed at a fixed rate (open loop, spread over every API process), each then paid,
// cancelled or left alone (to complete when its charge is approved, or to expire when it is declined) after a random
// delay, so pays and cancels reach orders both during their charge and while they wait for a payment. Latencies and
// answers are kept per kind in buckets that the sampler takes once per interval.
//
// Requests go through a keep-alive pool of at most `connections` sockets per API process, as a proxy in front of the
// API would send them: the API's open file descriptors then grow with a leak, not with how many requests the load
// happens to have in flight at a sample (an unpooled client opened one connection per concurrent request).
import http from 'node:http';
import { login, sleep } from '../bench.lib.ts';

export type Mix = { pay: number; cancel: number; leave: number };
export type Kind = 'place' | 'pay' | 'cancel';
export const KINDS: readonly Kind[] = ['place', 'pay', 'cancel'];

/** "pay,cancel,leave" shares, e.g. "0.4,0.3,0.3"; normalised to sum 1. */
export function parseMix(text: string): Mix {
  const parts = text.split(',').map(Number);
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0) || parts.every((p) => p === 0)) {
    throw new Error(`--mix must be three non-negative shares pay,cancel,leave (e.g. 0.4,0.3,0.3), got "${text}"`);
  }
  const sum = parts.reduce((s, p) => s + p, 0);
  return { pay: parts[0]! / sum, cancel: parts[1]! / sum, leave: parts[2]! / sum };
}

/** Answers each kind expects: a cancel of an order already Completed (its charge was approved) is 409. */
const EXPECTED: Record<Kind, number[]> = { place: [201], pay: [200, 202], cancel: [200, 202, 409] };

export type Bucket = {
  latencyMs: Record<Kind, number[]>;
  /** HTTP status (or "error" for no answer) → count, per kind. */
  answers: Record<Kind, Record<string, number>>;
  unexpected: number;
  placed: number;
  late: number;
};

const emptyBucket = (): Bucket => ({
  latencyMs: { place: [], pay: [], cancel: [] },
  answers: { place: {}, pay: {}, cancel: {} },
  unexpected: 0,
  placed: 0,
  late: 0,
});

/** Logs in again well before the token expires (JWT_EXPIRES_IN, one hour by default), and on a 401. */
export class Session {
  private token = '';
  private at = 0;
  private pending: Promise<string> | undefined;
  private readonly baseUrl: string;
  private readonly email: string;
  private readonly password: string;
  private readonly refreshMs: number;

  constructor(baseUrl: string, email: string, password: string, refreshMs: number) {
    this.baseUrl = baseUrl;
    this.email = email;
    this.password = password;
    this.refreshMs = refreshMs;
  }

  /** The current token; one login at a time however many requests ask while it is renewed. */
  get(force = false): Promise<string> {
    if (this.pending) return this.pending;
    if (!force && this.token && Date.now() - this.at <= this.refreshMs) return Promise.resolve(this.token);
    this.pending = login(this.baseUrl, this.email, this.password)
      .then((token) => {
        this.token = token;
        this.at = Date.now();
        return token;
      })
      .finally(() => (this.pending = undefined));
    return this.pending;
  }
}

export class Load {
  /** Every order placed, with what was planned for it. */
  readonly orders: Array<{ id: number; plan: keyof Mix }> = [];
  private bucket = emptyBucket();
  private readonly total = emptyBucket();
  private readonly followUps = new Set<Promise<void>>();
  private readonly apiUrls: string[];
  private readonly session: Session;
  private readonly productId: number;
  private readonly mix: Mix;
  private readonly maxDelayMs: number;
  private readonly agent: http.Agent;
  private next = 0;

  constructor(apiUrls: string[], session: Session, productId: number, mix: Mix, maxDelayMs: number, connections: number) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    this.apiUrls = apiUrls;
    this.session = session;
    this.productId = productId;
    this.mix = mix;
    this.maxDelayMs = maxDelayMs;
  }

  /** The answers and latencies since the last call. */
  take(): Bucket {
    const b = this.bucket;
    this.bucket = emptyBucket();
    return b;
  }

  /** Everything so far. */
  totals(): Bucket {
    return this.total;
  }

  /** Places orders at `rate` per second for `durationMs` (or until `stop()` says so), open loop. */
  async run(rate: number, durationMs: number, stop: () => boolean = () => false): Promise<void> {
    const t0 = performance.now();
    const n = Math.floor((rate * durationMs) / 1000);
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < n && !stop(); i++) {
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
      else if (wait < -100) this.count((b) => b.late++);
      const p: Promise<void> = this.placeOne().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  }

  /** Waits for the pays and cancels still scheduled. */
  async settle(): Promise<void> {
    while (this.followUps.size > 0) await Promise.all([...this.followUps]);
  }

  private count(f: (b: Bucket) => void): void {
    f(this.bucket);
    f(this.total);
  }

  private async request(kind: Kind, method: string, path: string, body?: unknown): Promise<{ status: number; json?: unknown }> {
    const baseUrl = this.apiUrls[this.next++ % this.apiUrls.length]!;
    const started = performance.now();
    let status: number | 'error' = 'error';
    let json: unknown;
    try {
      for (let attempt = 0; ; attempt++) {
        const res = await send(this.agent, new URL(path, baseUrl), {
          method,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.session.get(attempt > 0)}` },
          body: body === undefined ? undefined : JSON.stringify(body),
          timeoutMs: 60_000,
        });
        const text = res.text;
        if (res.status === 401 && attempt === 0) continue; // token expired: log in again, once
        status = res.status;
        json = text ? JSON.parse(text) : undefined;
        break;
      }
    } catch {
      status = 'error';
    }
    const ms = performance.now() - started;
    this.count((b) => {
      b.latencyMs[kind].push(ms);
      b.answers[kind][String(status)] = (b.answers[kind][String(status)] ?? 0) + 1;
      if (status === 'error' || !EXPECTED[kind].includes(status)) b.unexpected++;
    });
    return { status: status === 'error' ? 0 : status, json };
  }

  private async placeOne(): Promise<void> {
    const { status, json } = await this.request('place', 'PUT', '/api/order', { items: [{ productId: this.productId, quantity: 1 }] });
    if (status !== 201) return;
    const id = (json as { id: number }).id;
    const r = Math.random();
    const plan: keyof Mix = r < this.mix.pay ? 'pay' : r < this.mix.pay + this.mix.cancel ? 'cancel' : 'leave';
    this.orders.push({ id, plan });
    this.count((b) => b.placed++);
    if (plan === 'leave') return;
    // From just after placing (the charge in flight: 202) to well after it (a declined order waiting: 200).
    const delay = 500 + Math.random() * (this.maxDelayMs - 500);
    const p: Promise<void> = sleep(delay)
      .then(() => this.request(plan, 'POST', `/api/order/${id}/${plan}`))
      .then(() => undefined)
      .finally(() => this.followUps.delete(p));
    this.followUps.add(p);
  }
}

/** One request through the pool: its status and body (rejects on a socket error or after timeoutMs). */
function send(
  agent: http.Agent,
  url: URL,
  request: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: request.method, headers: request.headers, agent, signal: AbortSignal.timeout(request.timeoutMs) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

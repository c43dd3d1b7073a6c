// Small helpers of the chaos harness: a seeded PRNG (the whole run follows from its seed), waiting with a deadline,
// running a command without blocking the event loop, and progress lines stamped with the run's clock.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

/** mulberry32: a tiny 32-bit PRNG; the same seed gives the same sequence on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;
export const between = (random: Random, min: number, max: number) => min + random() * (max - min);
export const integer = (random: Random, min: number, max: number) => Math.floor(between(random, min, max + 1));

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; throws after the deadline naming what was awaited. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs, intervalMs = 250, what }: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve(condition()).catch(() => false)) return;
    if (Date.now() >= deadline) throw new Error(`${what} not reached within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(intervalMs);
  }
}

/**
 * A new Kafka cluster id: 16 random bytes in unpadded base64url, never starting with '-'. Kafka's own generator skips
 * such ids too: `kafka-storage format -t -abc…` reads the id as an option and fails (1 id in 64 starts that way).
 */
export function kafkaClusterId(bytes: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = bytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Runs a command, resolving with its stdout; rejects with its stderr on a non-zero exit. */
export function exec(cmd: string, args: string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${what} failed: ${stderr || stdout || err.message}`.trim()));
      else resolve(stdout);
    });
  });
}

const t0 = Date.now();
/** Seconds since the harness started. */
export const clock = () => (Date.now() - t0) / 1000;
export function say(message: string): void {
  console.log(`[${clock().toFixed(1).padStart(6)} s] ${message}`);
}

/** A free local TCP port not yet in `taken` (which it joins). */
export function freePort(taken: Set<number>): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => (taken.has(port) ? freePort(taken).then(resolve, reject) : (taken.add(port), resolve(port))));
    });
  });
}

const bindable = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * A free local TCP port in [min, max] not yet in `taken` (which it joins), for a server that cannot use the ephemeral
 * range the OS hands out (the Temporal server keeps its ports in a smallint column: at most 32767).
 */
export async function freePortIn(taken: Set<number>, min: number, max: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    if (!taken.has(port) && (await bindable(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${min}-${max}`);
}

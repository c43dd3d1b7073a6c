// Throughput of placing orders over HTTP (PUT /api/order) against a running stack: one transaction per request that
// reserves stock, inserts the order and its outbox row. Every request orders the same product, so this also measures
// the hot stock row. The saga processes every order created here afterwards: run saga-throughput.bench.ts first.
// Usage: node bench/api-orders.bench.ts (see bench/README.md).
import autocannon from 'autocannon';
import { createProduct, login, ms, numberSetting, printSettings, reproduceCommand, stringSetting } from './bench.lib.ts';

const settings = {
  BASE_URL: stringSetting('BASE_URL', 'http://127.0.0.1:3000'),
  DURATION: numberSetting('DURATION', 20),
  CONNECTIONS: numberSetting('CONNECTIONS', 64),
  BENCH_EMAIL: stringSetting('BENCH_EMAIL', 'test@example.com'),
};
const password = stringSetting('BENCH_PASSWORD', 'Password123!');

const token = await login(settings.BASE_URL, settings.BENCH_EMAIL, password);
const productId = await createProduct(settings.BASE_URL, token, `bench-api-${Date.now()}`, 2_000_000_000);

console.log('PUT /api/order throughput');
printSettings({ ...settings, pipelining: 1, body: `{"items":[{"productId":${productId},"quantity":1}]}` });
console.log(`running for ${settings.DURATION} s …`);

const result = await autocannon({
  url: new URL('/api/order', settings.BASE_URL).toString(),
  method: 'PUT',
  connections: settings.CONNECTIONS,
  duration: settings.DURATION,
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({ items: [{ productId, quantity: 1 }] }),
});

const byStatus = Object.entries(result.statusCodeStats)
  .map(([code, { count }]) => `${code}: ${count}`)
  .join(', ');
console.log(`
requests/s (mean)   ${result.requests.mean.toFixed(1)}
latency p50         ${ms(result.latency.p50)}
latency p99         ${ms(result.latency.p99)}
latency mean / max  ${ms(result.latency.mean)} / ${ms(result.latency.max)}
responses           ${result.requests.total} in ${result.duration} s (${byStatus || 'none'})
non-2xx             ${result.non2xx}
socket errors       ${result.errors} (of which timeouts: ${result.timeouts})
orders created      ${result['2xx']} (the saga now works through them)

reproduce: ${reproduceCommand('bench/api-orders.bench.ts', settings)}`);

if (result.non2xx > 0 || result.errors > 0) {
  console.error('FAILED: some requests did not answer 2xx (non-2xx or socket errors)');
  process.exitCode = 1;
}

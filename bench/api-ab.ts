// The shared half of the suites that compare two API processes of the same build, one with a feature on and one
// with it off (metrics, tracing): the requests both take and one measured round of one side.
import autocannon, { type Request as AutocannonRequest } from 'autocannon';
import { cpuSecondsOf, type OwnProcess } from './stack.ts';

/** One round of one side; cpuMs is the API process's CPU per successful request. */
export type Measurement = { perSecond: number; p50: number; p99: number; cpuMs: number; errors: number };

const roundRobin = (ids: number[]) => {
  let next = 0;
  return () => ids[next++ % ids.length] as number;
};

/** The catalogue read and the order placement, each going round `ids`; a fresh request per side and round. */
export function catalogueScenarios(ids: number[]): Array<{ name: string; request: () => AutocannonRequest }> {
  return [
    {
      name: 'GET /api/product/{id}',
      request: () => {
        const next = roundRobin(ids);
        return { method: 'GET', setupRequest: (r) => ({ ...r, path: `/api/product/${next()}` }) };
      },
    },
    {
      name: `PUT /api/order, ${ids.length} products`,
      request: () => {
        const next = roundRobin(ids);
        return {
          method: 'PUT',
          path: '/api/order',
          setupRequest: (r) => ({ ...r, body: JSON.stringify({ items: [{ productId: next(), quantity: 1 }] }) }),
        };
      },
    },
  ];
}

/** `seconds` of `request` against `url` over `connections` keep-alive connections, with the API process's CPU. */
export async function measureSide(
  api: OwnProcess,
  url: string,
  token: string,
  request: AutocannonRequest,
  connections: number,
  seconds: number,
): Promise<Measurement> {
  const cpuBefore = cpuSecondsOf(api.pid);
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [request],
  });
  return {
    perSecond: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMs: ((cpuSecondsOf(api.pid) - cpuBefore) * 1000) / result['2xx'],
    errors: result.non2xx + result.errors,
  };
}

// Types for autocannon 8's programmatic API, which ships none (and has no @types package installed): only the parts
// the benchmarks touch. Delete this file if @types/autocannon is ever added.

declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  /** One request of a connection's sequence; `setupRequest` may rewrite it before each send. */
  export interface RequestParams {
    method?: string;
    path?: string;
    body?: string;
    headers?: Record<string, string>;
  }

  export interface Request extends RequestParams {
    setupRequest?: (request: RequestParams, context: Record<string, unknown>) => RequestParams;
  }

  export interface Options {
    url: string;
    requests?: Request[];
    connections?: number;
    /** Seconds. */
    duration?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    pipelining?: number;
    /** Seconds before a request counts as a timeout. */
    timeout?: number;
    title?: string;
  }

  /** Latencies in ms; requests and throughput per one-second sample. */
  export interface Stats {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
  }

  export interface Result {
    url: string;
    connections: number;
    pipelining: number;
    duration: number;
    start: Date;
    finish: Date;
    errors: number;
    timeouts: number;
    mismatches: number;
    resets: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Stats;
    requests: Stats & { sent: number };
    throughput: Stats;
  }

  /** The run: an EventEmitter that is also a promise of its result. */
  export interface Instance extends EventEmitter, PromiseLike<Result> {}

  function autocannon(options: Options): Instance;
  export default autocannon;
}

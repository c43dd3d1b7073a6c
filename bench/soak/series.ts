// What one soak sample holds (name → value) and how each series is judged: its title, unit, whether the slope test
// applies and with which tolerance (bench/soak/slope.ts). Series that grow by design (the outbox keeps sent rows; the
// other users of a shared PostgreSQL) are plotted but not judged.
import type { Tolerance } from './slope.ts';

export type SeriesDef = { key: string; title: string; unit: string; tested: boolean; tolerance: Tolerance };

const RSS: Tolerance = { relative: 0.1, floor: 16 };
const FDS: Tolerance = { relative: 0.1, floor: 10 };
const COUNT: Tolerance = { relative: 0.25, floor: 50 };
const LATENCY: Tolerance = { relative: 0.5, floor: 50 };
const CONNECTIONS: Tolerance = { relative: 0.2, floor: 5 };

/** The definition of a sample key; unknown keys are plotted only. */
export function seriesDef(key: string): SeriesDef {
  const [kind, ...rest] = key.split(':');
  const name = rest.join(':');
  switch (kind) {
    case 'rss':
      return { key, title: `RSS of ${name}`, unit: 'MiB', tested: true, tolerance: RSS };
    case 'fds':
      return { key, title: `open file descriptors of ${name}`, unit: 'fds', tested: true, tolerance: FDS };
    case 'pg-backends':
      return {
        key,
        title: "PostgreSQL: the postmaster's child processes (all databases)",
        unit: 'processes',
        tested: false,
        tolerance: CONNECTIONS,
      };
    case 'pg-connections':
      return name === 'all'
        ? { key, title: 'PostgreSQL: client connections, all databases', unit: 'connections', tested: false, tolerance: CONNECTIONS }
        : { key, title: `PostgreSQL: client connections to ${name}`, unit: 'connections', tested: true, tolerance: CONNECTIONS };
    case 'outbox-unsent':
      return { key, title: 'outbox: unsent rows', unit: 'rows', tested: true, tolerance: COUNT };
    case 'outbox-rows':
      return { key, title: 'outbox: all rows (sent rows are kept)', unit: 'rows', tested: false, tolerance: COUNT };
    case 'kafka-lag':
      return { key, title: `Kafka consumer lag of ${name}`, unit: 'messages', tested: true, tolerance: COUNT };
    case 'temporal-backlog':
      return { key, title: `Temporal ${name} task backlog (approximate)`, unit: 'tasks', tested: true, tolerance: COUNT };
    case 'orders':
      return {
        key,
        title: `soak orders ${name}`,
        unit: 'orders',
        // Pending: placed but not yet started by the saga; a growing number means it falls behind. Processing is
        // mostly orders waiting for a payment: its level is set by the rate and ORDER_EXPIRY.
        tested: name === 'Pending',
        tolerance: COUNT,
      };
    case 'p99':
      return { key, title: `p99 latency of ${name}`, unit: 'ms', tested: true, tolerance: LATENCY };
    case 'requests':
      return { key, title: `${name} requests in the interval`, unit: 'requests', tested: false, tolerance: COUNT };
    case 'unexpected':
      return { key, title: 'unexpected answers in the interval (5xx, 503, none)', unit: 'answers', tested: false, tolerance: COUNT };
    default:
      return { key, title: key, unit: '', tested: false, tolerance: COUNT };
  }
}

/** A file name for a series' chart. */
export const chartFile = (key: string): string => `${key.replace(/[^a-zA-Z0-9_-]+/g, '_')}.svg`;

// The run's plan, all drawn from the seed: the load profile and the fault schedule (which instance or service fails,
// when, and for how long). Printed at the start, so a run can be repeated with CHAOS_SEED.
import { between, integer, type Random } from './util.ts';

export type Fault =
  | { kind: 'kill -9'; target: string; atMs: number; downMs: number }
  | { kind: 'kill -9 service'; target: 'kafka' | 'temporal'; atMs: number; downMs: number }
  /** --cluster: one of the three Kafka brokers, chosen when the fault starts by the part it plays then. */
  | { kind: 'kill -9 broker'; target: 'leader' | 'controller'; atMs: number; downMs: number }
  | { kind: 'pg_ctl stop -m immediate'; target: 'postgres'; atMs: number; downMs: number }
  | { kind: 'partition'; target: 'postgres' | 'temporal'; atMs: number; downMs: number }
  /** A running order workflow terminated as an operator would in the Web UI: only the reconciler repairs that. */
  | { kind: 'terminate workflow'; target: 'temporal'; atMs: number; downMs: number };

export type Profile = {
  name: 'short' | 'long';
  loadMs: number;
  ordersPerSecond: number;
  /** Share of orders paid through POST /pay, cancelled, deleted (the rest follow the simulated provider or expire). */
  mix: { pay: number; cancel: number; delete: number };
  downMs: [number, number];
  settleTimeoutMs: number;
  /** The production shape (chaos/cluster-services.ts): Temporal server on PostgreSQL, three Kafka brokers. */
  cluster?: boolean;
};

export const PROFILES: Record<'short' | 'long', Profile> = {
  short: {
    name: 'short',
    loadMs: 75_000,
    ordersPerSecond: 3,
    mix: { pay: 0.15, cancel: 0.1, delete: 0.03 },
    downMs: [5_000, 10_000],
    settleTimeoutMs: 150_000,
  },
  long: {
    name: 'long',
    loadMs: 420_000,
    ordersPerSecond: 3,
    mix: { pay: 0.15, cancel: 0.1, delete: 0.03 },
    downMs: [10_000, 25_000],
    settleTimeoutMs: 300_000,
  },
};

/**
 * --cluster: the same load on the production shape. Short runs longer than the dev short (120 s) so its faults, the
 * broker kills one at a time among them, do not all overlap; its downtimes are longer because the Temporal server and
 * a broker take longer to come back than the dev server.
 */
export const CLUSTER_PROFILES: Record<'short' | 'long', Profile> = {
  short: { ...PROFILES.short, loadMs: 120_000, downMs: [8_000, 15_000], settleTimeoutMs: 240_000, cluster: true },
  long: { ...PROFILES.long, settleTimeoutMs: 360_000, cluster: true },
};

export const INSTANCES = {
  api: ['api'],
  relay: ['relay-1', 'relay-2'],
  bridge: ['bridge-1', 'bridge-2'],
  worker: ['worker-1', 'worker-2'],
  notifier: ['notifier'],
  reconciler: ['reconciler'],
} as const;

function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = integer(random, 0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * Short: one instance of every role (which one is drawn), Kafka, PostgreSQL, Temporal, a PostgreSQL partition and two
 * running workflows terminated. Long: every instance, each service twice, a partition from PostgreSQL and from
 * Temporal, and four workflows terminated. --cluster: instead of the one broker, a kill -9 of the broker leading a
 * partition and of the one that is the active controller (long: each twice), and the Temporal server for the dev
 * server. Faults are spread over
 * the load in a shuffled order, one per slot with jitter, so they overlap only when a slot is shorter than a downtime.
 */
export function faultSchedule(random: Random, profile: Profile): Fault[] {
  type Plan = Pick<Fault, 'kind' | 'target'>;
  const roles: Plan[] =
    profile.name === 'short'
      ? Object.values(INSTANCES).map((names) => ({ kind: 'kill -9', target: names[integer(random, 0, names.length - 1)]! }))
      : Object.values(INSTANCES).flatMap((names) => names.map((target) => ({ kind: 'kill -9', target })));
  const services: Plan[] = [
    ...(profile.cluster
      ? ([
          { kind: 'kill -9 broker', target: 'leader' },
          { kind: 'kill -9 broker', target: 'controller' },
        ] as const)
      : ([{ kind: 'kill -9 service', target: 'kafka' }] as const)),
    { kind: 'pg_ctl stop -m immediate', target: 'postgres' },
    { kind: 'kill -9 service', target: 'temporal' },
  ];
  const partitions: Plan[] =
    profile.name === 'short'
      ? [{ kind: 'partition', target: 'postgres' }]
      : [
          { kind: 'partition', target: 'postgres' },
          { kind: 'partition', target: 'temporal' },
        ];
  const terminations: Plan[] = Array.from({ length: profile.name === 'short' ? 2 : 4 }, () => ({
    kind: 'terminate workflow',
    target: 'temporal',
  }));
  const plans = shuffle(random, [...roles, ...services, ...(profile.name === 'long' ? services : []), ...partitions, ...terminations]);
  const slot = profile.loadMs / plans.length;
  return plans.map(
    (plan, i) =>
      ({
        ...plan,
        atMs: Math.round(slot * (i + 0.5) + between(random, -slot / 4, slot / 4)),
        downMs: Math.round(between(random, ...profile.downMs)),
      }) as Fault,
  );
}

export const describeFault = (f: Fault) =>
  `${(f.atMs / 1000).toFixed(1).padStart(6)} s  ${f.kind.padEnd(24)} ${f.target.padEnd(9)} ` +
  (f.kind === 'terminate workflow'
    ? 'one running order workflow, for the reconciler to repair'
    : `back after ${(f.downMs / 1000).toFixed(1)} s`);

// Readiness: can this process reach PostgreSQL, Kafka and Temporal right now? Each probe has its own deadline so one
// hung dependency cannot hang /ready.
import type { Client } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import { withDeadline } from '../lib/deadline.ts';
import type { ReadinessReport } from '../lib/loop-state.ts';
import type { Kafka } from '../messaging/kafka.ts';

export type Probe = () => Promise<void>;

const PROBE_TIMEOUT_MS = 3000;

export async function checkReadiness(probes: Record<string, Probe>): Promise<ReadinessReport> {
  const names = Object.keys(probes);
  const results = await Promise.allSettled(names.map((name) => withDeadline(probes[name]!, PROBE_TIMEOUT_MS)));
  const checks: ReadinessReport['checks'] = {};
  results.forEach((r, i) => {
    checks[names[i]!] = r.status === 'fulfilled' ? { ok: true } : { ok: false, error: String((r.reason as Error)?.message ?? r.reason) };
  });
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

export function postgresProbe(orm: Orm): Probe {
  return async () => {
    await orm.em.getConnection().execute('select 1');
  };
}

export function kafkaProbe(kafka: Kafka): Probe {
  return async () => {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
    } finally {
      await admin.disconnect();
    }
  };
}

export function temporalProbe(client: Client): Probe {
  return async () => {
    await client.workflowService.getSystemInfo({});
  };
}

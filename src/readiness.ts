// Readiness: can this process reach PostgreSQL, Kafka and Temporal right now? Each probe has its own deadline so one
// hung dependency cannot hang /ready.
import type { Client } from '@temporalio/client';
import type { Kafka } from './messaging/kafka.ts';
import type { Orm } from './db/orm.ts';

export type Probe = () => Promise<void>;
export type ReadinessReport = { ready: boolean; checks: Record<string, { ok: boolean; error?: string }> };

const PROBE_TIMEOUT_MS = 3000;

function withTimeout(probe: Probe, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    probe()
      .then(resolve, reject)
      .finally(() => clearTimeout(timer));
  });
}

export async function checkReadiness(probes: Record<string, Probe>): Promise<ReadinessReport> {
  const names = Object.keys(probes);
  const results = await Promise.allSettled(names.map((name) => withTimeout(probes[name]!, PROBE_TIMEOUT_MS)));
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

/** A background role's view of its own loop (relay polling, consumer joined, worker polling): ok, or why not. */
export type LoopState = { ok: true } | { ok: false; error: string };

/** The loop states of a process's roles in /ready's report shape, so one supervisor config reads both. */
export function loopReadiness(loops: Record<string, () => LoopState>): ReadinessReport {
  const checks: ReadinessReport['checks'] = {};
  for (const [name, state] of Object.entries(loops)) {
    try {
      const s = state();
      checks[name] = s.ok ? { ok: true } : { ok: false, error: s.error };
    } catch (err) {
      checks[name] = { ok: false, error: `health check failed: ${String(err)}` };
    }
  }
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

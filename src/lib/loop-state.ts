// How a process reports its health: /ready (its dependencies) and /health/ready (its background roles' own loops)
// share one report shape, so one supervisor configuration reads both. Pure: the roles and the consumer loop below
// them import it without reaching up to the health checks.

/** A background role's view of its own loop (relay polling, consumer joined, worker polling): ok, or why not. */
export type LoopState = { ok: true } | { ok: false; error: string };

export type ReadinessReport = { ready: boolean; checks: Record<string, { ok: boolean; error?: string }> };

/** The loop states of a process's roles in /ready's report shape. */
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

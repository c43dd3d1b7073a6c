// Admission control: past a hard limit on the saga's backlog, new orders are refused (503 with Retry-After) instead of
// accepted into a queue that cannot be worked off in time. The limits are on the flow, not on single orders: the
// oldest event the relay has not published, the OrderCreated events the bridge has not consumed, and the age of the
// oldest workflow task waiting for a worker. (An order stuck for reasons of its own, e.g. a dead-lettered event, is
// no backlog and never closes the door for everyone.) Reads, pay and cancel are never refused.
//
// The backlog is measured in the background at most every `refreshMs`, never on a request's path: a request reads the
// last verdict. A measurement that fails (a dependency down) counts as unknown, and unknown admits: the outbox keeps
// an accepted order safe whatever is down, and /ready and /health/saga report the outage.
import type { Measured } from '../lib/deadline.ts';

/** Limits; 0 switches one off. */
export type AdmissionLimits = { outboxAgeSeconds: number; bridgeLag: number; taskAgeSeconds: number };
export type Backlog = {
  outboxAgeSeconds: Measured<number>;
  bridgeLag: Measured<number>;
  taskAgeSeconds: Measured<number>;
};
export type AdmissionState =
  { admitting: true; checkedAt: string | null } | { admitting: false; reasons: string[]; since: string; checkedAt: string };

/** The limits a backlog is over, each as a sentence (empty: admit). */
export function overLimits(backlog: Backlog, limits: AdmissionLimits): string[] {
  const reasons: string[] = [];
  const over = (m: Measured<number>, limit: number, say: (value: number) => string) => {
    if (limit > 0 && m.ok && m.value > limit) reasons.push(say(m.value));
  };
  over(
    backlog.outboxAgeSeconds,
    limits.outboxAgeSeconds,
    (v) => `oldest unpublished event is ${Math.round(v)} s old (limit ${limits.outboxAgeSeconds} s)`,
  );
  over(backlog.bridgeLag, limits.bridgeLag, (v) => `${v} OrderCreated events not yet consumed by the bridge (limit ${limits.bridgeLag})`);
  over(
    backlog.taskAgeSeconds,
    limits.taskAgeSeconds,
    (v) => `oldest workflow task waits ${Math.round(v)} s (limit ${limits.taskAgeSeconds} s)`,
  );
  return reasons;
}

const STALE_AFTER_MS = 10_000;

export type AdmissionOptions = {
  measure: () => Promise<Backlog>;
  limits: AdmissionLimits;
  refreshMs: number;
  now?: () => number;
  /** Called when the door closes or opens again (a log line for the operator). */
  onChange?: (state: AdmissionState) => void;
};

export class AdmissionControl {
  private readonly options: AdmissionOptions;
  private readonly now: () => number;
  private current: AdmissionState = { admitting: true, checkedAt: null };
  private lastStart = Number.NEGATIVE_INFINITY;
  private decidedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;

  constructor(options: AdmissionOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Whether any limit is set at all. */
  get enabled(): boolean {
    const { outboxAgeSeconds, bridgeLag, taskAgeSeconds } = this.options.limits;
    return outboxAgeSeconds > 0 || bridgeLag > 0 || taskAgeSeconds > 0;
  }

  /**
   * The last verdict; starts a new measurement in the background when the last one is older than refreshMs. A
   * refusal older than STALE_AFTER_MS or five refreshes (no request came for a while, so nothing was measured) is
   * stale and admits: the first order after a quiet spell is never refused on old news.
   */
  state(): AdmissionState {
    const now = this.now();
    if (this.enabled && !this.refreshing && now - this.lastStart >= this.options.refreshMs) void this.refresh();
    const staleAfter = Math.max(STALE_AFTER_MS, 5 * this.options.refreshMs);
    if (!this.current.admitting && now - this.decidedAt > staleAfter) return { admitting: true, checkedAt: this.current.checkedAt };
    return this.current;
  }

  /** Measures now and updates the verdict (the background refresh; tests await it). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      this.lastStart = this.now();
      try {
        const reasons = overLimits(await this.options.measure(), this.options.limits);
        this.decide(reasons);
      } catch {
        this.decide([]); // unknown admits
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private decide(reasons: string[]): void {
    this.decidedAt = this.now();
    const checkedAt = new Date(this.decidedAt).toISOString();
    const wasAdmitting = this.current.admitting;
    if (reasons.length === 0) this.current = { admitting: true, checkedAt };
    else this.current = { admitting: false, reasons, since: this.current.admitting ? checkedAt : this.current.since, checkedAt };
    if (wasAdmitting !== this.current.admitting) this.options.onChange?.(this.current);
  }
}

// What a consumer's /health/ready check reports: where the consumer is in its group's life (connecting, joined,
// rebalancing, crashed, stopped) and which messages are failing, since when. Kept apart from the loop so the rules
// can be tested with a clock of the test's own.
import type { LoopState } from '../../lib/loop-state.ts';

export type GroupPhase = 'connecting' | 'joined' | 'rebalancing' | 'crashed' | 'stopped';

export class ConsumerHealth {
  private readonly groupId: string;
  private readonly now: () => number;
  private phase: { name: GroupPhase; since: number; error?: string };
  /** Messages being retried (`topic/partition@offset`): since when, and the last error. */
  private readonly failing = new Map<string, { since: number; error: string }>();
  stopping = false;

  constructor(groupId: string, now: () => number = Date.now) {
    this.groupId = groupId;
    this.now = now;
    this.phase = { name: 'connecting', since: now() };
  }

  enter(name: GroupPhase, error?: string): void {
    this.phase = { name, since: this.now(), ...(error !== undefined && { error }) };
  }

  /** A handler attempt for the message at `where` failed; it has been failing since its first failed attempt. */
  failed(where: string, startedAt: number, error: string): void {
    this.failing.set(where, { since: this.failing.get(where)?.since ?? startedAt, error });
  }

  /** The message at `where` is done (handled or dead-lettered) or handed back. */
  settled(where: string): void {
    this.failing.delete(where);
  }

  /** Ready while joined (a rebalance shorter than maxAgeMs included) and no message has failed for longer. */
  loopState(maxAgeMs: number): LoopState {
    const now = this.now();
    if (this.stopping) return { ok: false, error: 'consumer stopping' };
    const { name, since, error } = this.phase;
    const age = Math.round((now - since) / 1000);
    if (name === 'crashed') return { ok: false, error: `consumer crashed ${age} s ago: ${error ?? 'unknown error'}` };
    if (name === 'connecting') return { ok: false, error: `consumer (re)joining group ${this.groupId} for ${age} s` };
    if (name === 'rebalancing' && now - since > maxAgeMs) return { ok: false, error: `group ${this.groupId} rebalancing for ${age} s` };
    const oldest = [...this.failing.entries()].sort((a, b) => a[1].since - b[1].since)[0];
    if (oldest && now - oldest[1].since > maxAgeMs) {
      const [where, f] = oldest;
      return { ok: false, error: `message on ${where} failing for ${Math.round((now - f.since) / 1000)} s: ${f.error}` };
    }
    return { ok: true };
  }
}

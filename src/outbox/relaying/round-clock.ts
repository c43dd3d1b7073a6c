// What the relay's /health/ready check reports: whether a polling round completed (published, found nothing, or saw
// another relay holding the lock) within the allowed age, and the last error if not. Start counts as a completed
// round: a relay is not unready before its first round had a chance to run.
import type { LoopState } from '../../lib/loop-state.ts';

export class RoundClock {
  private readonly now: () => number;
  private lastRoundAt: number;
  private lastError: string | undefined;
  stopping = false;

  constructor(now: () => number = Date.now) {
    this.now = now;
    this.lastRoundAt = now();
  }

  completed(): void {
    this.lastRoundAt = this.now();
    this.lastError = undefined;
  }

  failed(error: string): void {
    this.lastError = error;
  }

  loopState(maxAgeMs: number): LoopState {
    if (this.stopping) return { ok: false, error: 'relay stopping' };
    const age = this.now() - this.lastRoundAt;
    if (age <= maxAgeMs) return { ok: true };
    const why = this.lastError ? `; last error: ${this.lastError}` : ' (a round is still running)';
    return { ok: false, error: `no completed outbox polling round for ${Math.round(age / 1000)} s${why}` };
  }
}

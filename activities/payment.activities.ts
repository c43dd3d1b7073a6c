// The payment step. The provider sits behind an interface (simulated today); a decline is a result, not an error,
// so only real faults (provider unreachable, timeouts) go through the activity retry policy.
import { Context } from '@temporalio/activity';
import type { PaymentResult } from '../workflows/order.definitions.ts';

export type PaymentRequest = { orderId: number; total: string };

export interface PaymentProvider {
  charge(request: PaymentRequest, onProgress: () => void): Promise<PaymentResult>;
}

/**
 * Simulated provider: takes `durationMs`, approves with probability `successRate`.
 * @example new SimulatedPaymentProvider({ durationMs: 5000, successRate: 0.5 })
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  private readonly durationMs: number;
  private readonly successRate: number;
  private readonly random: () => number;

  constructor({ durationMs, successRate, random = Math.random }: { durationMs: number; successRate: number; random?: () => number }) {
    this.durationMs = durationMs;
    this.successRate = successRate;
    this.random = random;
  }

  async charge(request: PaymentRequest, onProgress: () => void): Promise<PaymentResult> {
    // Wait in slices so the activity heartbeats and notices cancellation while the "provider" works.
    for (let waited = 0; waited < this.durationMs; waited += 1000) {
      onProgress();
      await Context.current().sleep(Math.min(1000, this.durationMs - waited));
    }
    const approved = this.random() < this.successRate;
    return { approved, reference: `sim-${request.orderId}-${approved ? 'ok' : 'declined'}` };
  }
}

export function createPaymentActivities({ provider }: { provider: PaymentProvider }) {
  return {
    async chargePayment(request: PaymentRequest): Promise<PaymentResult> {
      const ctx = Context.current();
      const result = await provider.charge(request, () => ctx.heartbeat());
      ctx.log.info(`payment for order ${request.orderId}: ${result.approved ? 'approved' : 'declined'}`);
      return result;
    },
  };
}

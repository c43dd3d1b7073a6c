// The payment step. The provider sits behind an interface (simulated today); a decline is a result, not an error,
// so only real faults (provider unreachable, timeouts) go through the activity retry policy. Every charge carries an
// idempotency key that depends on the order only, never on the attempt: a charge retried after a worker crash is
// the same charge to the provider, which answers it as before instead of charging twice.
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Logger } from '../src/logger.ts';
import type { PaymentResult } from '../workflows/order.definitions.ts';

export type PaymentRequest = { orderId: number; total: string };
export type Charge = PaymentRequest & { idempotencyKey: string };

export interface PaymentProvider {
  charge(request: Charge, onProgress: () => void): Promise<PaymentResult>;
}

/** The key of an order's payment: the same for every attempt. */
export const paymentKey = (orderId: number) => `order-${orderId}-payment`;

/** A number in [0, 1) fixed by the key: the simulated provider's decision, the same on every retry of a charge. */
function drawFor(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Simulated provider: takes `durationMs`, approves with probability `successRate`, and answers a repeated charge
 * (same idempotency key) as it answered the first time.
 * @example new SimulatedPaymentProvider({ durationMs: 5000, successRate: 0.5 })
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  private readonly durationMs: number;
  private readonly successRate: number;
  private readonly draw: (key: string) => number;

  constructor({ durationMs, successRate, draw = drawFor }: { durationMs: number; successRate: number; draw?: (key: string) => number }) {
    this.durationMs = durationMs;
    this.successRate = successRate;
    this.draw = draw;
  }

  async charge(request: Charge, onProgress: () => void): Promise<PaymentResult> {
    // Wait in slices so the activity heartbeats and notices cancellation while the "provider" works.
    for (let waited = 0; waited < this.durationMs; waited += 1000) {
      onProgress();
      await Context.current().sleep(Math.min(1000, this.durationMs - waited));
    }
    const approved = this.draw(request.idempotencyKey) < this.successRate;
    return { approved, reference: `sim-${request.orderId}-${approved ? 'ok' : 'declined'}` };
  }
}

export function createPaymentActivities({ provider, log }: { provider: PaymentProvider; log?: Logger }) {
  return {
    async chargePayment(request: PaymentRequest): Promise<PaymentResult> {
      const ctx = Context.current();
      const idempotencyKey = paymentKey(request.orderId);
      // A local activity (workflow v4) has no heartbeat: the worker itself keeps its workflow task alive.
      const onProgress = ctx.info.isLocal ? () => undefined : () => ctx.heartbeat();
      const result = await provider.charge({ ...request, idempotencyKey }, onProgress);
      // The app's log (the SDK's own logging is kept at warn): one line per payment outcome, at info.
      const line = {
        orderId: request.orderId,
        approved: result.approved,
        reference: result.reference,
        idempotencyKey,
        attempt: ctx.info.attempt,
      };
      if (log) log.info(line, `payment ${result.approved ? 'approved' : 'declined'}`);
      else ctx.log.info(`payment for order ${request.orderId}: ${result.approved ? 'approved' : 'declined'}`);
      return result;
    },
  };
}

// Every activity the `orders` task queue serves, built from their dependencies (see src/roles/worker.role.ts).
import type { Orm } from '../src/db/orm.ts';
import type { Logger } from '../src/logger.ts';
import { createOrderActivities } from './order.activities.ts';
import { createPaymentActivities, type PaymentProvider } from './payment.activities.ts';

export { SimulatedPaymentProvider } from './payment.activities.ts';

export function createActivities(deps: { orm: Orm; paymentProvider: PaymentProvider; log?: Logger }) {
  return { ...createOrderActivities(deps), ...createPaymentActivities({ provider: deps.paymentProvider, log: deps.log }) };
}

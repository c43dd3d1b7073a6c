// Every migration, in order. Listed explicitly instead of globbed from disk so the same list works under
// node's type stripping, jest and a container image alike.
import { InitialSchema } from './0001-initial-schema.migration.ts';
import { Outbox } from './0002-outbox.migration.ts';
import { NotificationEventType } from './0003-notification-event-type.migration.ts';
import { UserRolesAndCredentials } from './0004-user-roles-and-credentials.migration.ts';
import { IdempotencyKeys } from './0005-idempotency-keys.migration.ts';
import { OrderPaymentDue } from './0006-order-payment-due.migration.ts';
import { UserCredentialNotifications } from './0007-user-credential-notifications.migration.ts';
import { OutboxTraceContext } from './0008-outbox-trace-context.migration.ts';
import { Reconciler } from './0009-reconciler.migration.ts';
import { DeadLetters } from './0010-dead-letters.migration.ts';
import { OpsIndexes } from './0011-ops-indexes.migration.ts';

export const migrations = [
  { name: '0001-initial-schema', class: InitialSchema },
  { name: '0002-outbox', class: Outbox },
  { name: '0003-notification-event-type', class: NotificationEventType },
  { name: '0004-user-roles-and-credentials', class: UserRolesAndCredentials },
  { name: '0005-idempotency-keys', class: IdempotencyKeys },
  { name: '0006-order-payment-due', class: OrderPaymentDue },
  { name: '0007-user-credential-notifications', class: UserCredentialNotifications },
  { name: '0008-outbox-trace-context', class: OutboxTraceContext },
  { name: '0009-reconciler', class: Reconciler },
  { name: '0010-dead-letters', class: DeadLetters },
  { name: '0011-ops-indexes', class: OpsIndexes },
];

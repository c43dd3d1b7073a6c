// The trace context (W3C traceparent and tracestate) of the span that wrote an outbox row, so the relay sends it on as
// Kafka headers however much later it publishes, a relay restart included (src/outbox/relay.ts). Null when tracing is
// off or no span was active.
import { Migration } from '@mikro-orm/migrations';

export class OutboxTraceContext extends Migration {
  override name = '0008-outbox-trace-context';

  override up(): void {
    this.addSql('alter table outbox add column trace_context jsonb null');
  }
}

// With tracing on, each consumed message is handled inside a CONSUMER span, a child of the trace its headers carry
// (the outbox relay sends the trace context of the span that wrote the event), so the handler's work joins that
// trace. With tracing off, the handler runs as it is.
import { carrierFromHeaders, inSpan, SpanKind, tracingEnabled } from '../../telemetry/tracing.ts';
import type { EachMessagePayload } from '../kafka.ts';
import { orderIdOf } from './parse-event.ts';

/** Runs `handle` for the message, inside the span `<name> <topic>` when tracing is on. */
export function inMessageSpan(name: string, groupId: string, payload: EachMessagePayload, handle: () => Promise<void>): Promise<void> {
  if (!tracingEnabled()) return handle();
  const { topic, partition, message } = payload;
  const orderId = orderIdOf(message.key);
  const attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.destination.name': topic,
    'messaging.consumer.group.name': groupId,
    'messaging.destination.partition.id': String(partition),
    'messaging.kafka.offset': Number(message.offset),
    ...(orderId !== undefined && { 'order.id': orderId }),
  };
  return inSpan(`${name} ${topic}`, { kind: SpanKind.CONSUMER, attributes, parent: carrierFromHeaders(message.headers) }, handle);
}

/**
 * Issue 12 item 4, the part every process shares whether tracing is on or off: the trace id of log lines,
 * the `eventstore append` span with the `traceparent` it stamps on the events, and the flush at shutdown.
 * Only `@opentelemetry/api` is used here; the SDK is started (or not) by ./tracing-start.ts, imported
 * first by every process's main.ts. While it is not started the API is a no-op: no span, no field, no
 * metadata is added.
 */
import { ROOT_CONTEXT, SpanKind, context, isSpanContextValid, propagation, trace } from '@opentelemetry/api';
import type { NewEvent } from '@tongban/eventstore';
import { inSpan } from '@tongban/messaging';
import { tracingStarted } from './tracing-shutdown';

/** `traceId` and `spanId` (hex) of the span active now, for a log line; `{}` when none (or tracing off). */
export function traceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getSpanContext(context.active());
  return span && isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : {};
}

/**
 * Runs an append of `events` to `stream` inside an `eventstore append` span, with the span's W3C
 * `traceparent` (and `tracestate`) stamped on each event's metadata that has none, so the relay and the
 * consumers continue the trace (see packages/messaging/src/tracing.ts). The metadata is part of the
 * event's hash like every other field. With tracing off (no valid span context) nothing is stamped;
 * while no SDK was started in this process (tracingStarted) the append is called as it is, without a
 * span (the API's no-op span would stamp nothing either: that costed ~2 % of intake's CPU per submission).
 */
export function tracedAppend<T>(stream: string, events: NewEvent[], append: (events: NewEvent[]) => Promise<T>): Promise<T> {
  if (!tracingStarted()) return append(events);
  const attributes = {
    'db.system.name': 'postgresql', 'db.operation.name': 'append', 'tongban.event.stream': stream,
    'tongban.event.types': events.map((e) => e.type).join(','), 'tongban.event.count': events.length,
  };
  return inSpan('eventstore append', { kind: SpanKind.INTERNAL, attributes }, undefined, (span) => {
    // A span not sampled still passes its decision on (flags 00): the consumers then record nothing either.
    if (!isSpanContextValid(span.spanContext())) return append(events);
    const carrier: { traceparent?: string; tracestate?: string } = {};
    propagation.inject(context.active(), carrier);
    if (!carrier.traceparent) return append(events);
    const trace = { traceparent: carrier.traceparent, ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}) };
    return append(events.map((e) => (e.metadata.traceparent ? e : { ...e, metadata: { ...e.metadata, ...trace } })));
  });
}

/**
 * Runs `fn` as the root span `name` of a new trace: an action the platform takes on its own (a deadline
 * timer firing), whose events the relay and the consumers then follow like a user's.
 */
export function inNewTrace<T>(name: string, attributes: Record<string, string | number | boolean>, fn: () => Promise<T>): Promise<T> {
  return inSpan(name, { kind: SpanKind.INTERNAL, attributes }, ROOT_CONTEXT, fn);
}

export { onTracingShutdown, shutdownTracing } from './tracing-shutdown';

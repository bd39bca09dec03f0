/**
 * Issue 12 item 4: how a trace crosses the bus. An event appended while a span is active carries that
 * span's W3C `traceparent` (and `tracestate`) in its metadata (packages/runtime, the event store
 * wrapper); the relay publishes it under a `publish <Type>` span that is that span's child and sends its
 * own context as the NATS headers `traceparent`/`tracestate`; a consumer handles the message under a
 * `process <Type>` span, child of the header's context (else of the metadata's). Only the
 * `@opentelemetry/api` is used here: without a started SDK (OTEL_EXPORTER_OTLP_ENDPOINT unset) every call
 * is the API's no-op — no header is written, no span recorded.
 */
import { type Context, type Span, type TextMapGetter, type TextMapSetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { RecordedEvent } from '@tongban/eventstore';

/** The tracer of Tongban's own spans (instrumentation scope `tongban`). */
export function tongbanTracer() {
  return trace.getTracer('tongban');
}

const headerGetter: TextMapGetter<MsgHdrs> = {
  keys: (carrier) => carrier.keys(),
  get: (carrier, key) => (carrier.has(key) ? carrier.get(key) : undefined),
};

const headerSetter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const metadataGetter: TextMapGetter<RecordedEvent['metadata']> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = (carrier as unknown as Record<string, unknown>)[key];
    return typeof value === 'string' ? value : undefined;
  },
};

/**
 * The trace context an event continues: the message's `traceparent` header when it has one (the relay's
 * publish span), else the event metadata's (the span it was appended in), else none (a new trace).
 */
export function eventTraceContext(event: Pick<RecordedEvent, 'metadata'>, headers?: MsgHdrs): Context {
  if (headers?.has('traceparent')) return propagation.extract(ROOT_CONTEXT, headers, headerGetter);
  return propagation.extract(ROOT_CONTEXT, event.metadata, metadataGetter);
}

/** Writes the context of `span` (under `parent`) into NATS headers as `traceparent`/`tracestate`. */
export function injectTraceHeaders(parent: Context, span: Span, headers: MsgHdrs): void {
  propagation.inject(trace.setSpan(parent, span), headers, headerSetter);
}

/** Attributes shared by the publish and process spans of one event (OpenTelemetry messaging conventions). */
export function eventSpanAttributes(event: RecordedEvent, subject: string): Record<string, string | number> {
  return {
    'messaging.system': 'nats',
    'messaging.destination.name': subject,
    'messaging.message.id': event.id,
    'tongban.event.type': event.type,
    'tongban.event.stream': event.stream,
    'tongban.event.revision': event.revision,
    ...(event.metadata.correlationId ? { 'tongban.correlation_id': event.metadata.correlationId } : {}),
  };
}

/**
 * Runs `fn` inside a new active span `name` (child of `parent`, default the active context), ending it
 * when `fn` settles; a thrown error is recorded on the span (status ERROR) and rethrown.
 */
export async function inSpan<T>(
  name: string, options: { kind?: SpanKind; attributes?: Record<string, string | number | boolean> }, parent: Context | undefined, fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tongbanTracer().startActiveSpan(name, options, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordFailure(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs `fn` once for several units of work, each with a span of its own (`spans[i]`: name, options and
 * parent, as {@link inSpan}'s), e.g. the events of a consumer batch, each in its own trace. `fn` runs with
 * the first span active (work it causes, such as queries, is recorded there) and gets every span; all end
 * when `fn` settles, with a thrown error recorded on each (status ERROR) and rethrown.
 */
export async function inSpans<T>(
  spans: readonly { name: string; options: { kind?: SpanKind; attributes?: Record<string, string | number | boolean> }; parent: Context | undefined }[],
  fn: (spans: Span[]) => Promise<T>,
): Promise<T> {
  const tracer = tongbanTracer();
  const started = spans.map((s) => tracer.startSpan(s.name, s.options, s.parent ?? context.active()));
  const first = started[0];
  try {
    return await (first ? context.with(trace.setSpan(spans[0]!.parent ?? context.active(), first), () => fn(started)) : fn(started));
  } catch (err) {
    for (const span of started) recordFailure(span, err);
    throw err;
  } finally {
    for (const span of started) span.end();
  }
}

/** Records `err` on `span` (as an exception event) and marks the span failed (status ERROR with the error's message). */
function recordFailure(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

export { SpanKind };

import { status as grpcStatus } from '@grpc/grpc-js';
import { WrongExpectedRevisionError, type EventStore } from '@tongban/eventstore';
import { singleMetric } from '@tongban/messaging';
import { Counter, Histogram } from 'prom-client';
import { tracedAppend } from './tracing';

/**
 * Issue 12 item 3: the `tongban_*` series every process shares (prom-client's default registry, served
 * on `/metrics` by the health listener). Process-specific series live beside their code (messaging,
 * deadline, notification, query).
 */

/** Latency buckets of requests and appends, seconds (1 ms … 10 s). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** HTTP requests at the gateway, by route (the route pattern, not the URL), method and status code. */
export function httpMetrics() {
  return {
    requests: singleMetric('tongban_http_requests_total', () => new Counter({
      name: 'tongban_http_requests_total', help: 'HTTP requests answered by the gateway, by route pattern, method and status', labelNames: ['route', 'method', 'status'] as const,
    })),
    duration: singleMetric('tongban_http_request_duration_seconds', () => new Histogram({
      name: 'tongban_http_request_duration_seconds', help: 'HTTP request latency at the gateway, seconds', labelNames: ['route', 'method', 'status'] as const, buckets: LATENCY_BUCKETS,
    })),
  };
}

/** gRPC calls handled by a service, by full method path and status code name. */
export function grpcServerMetrics() {
  return {
    handled: singleMetric('tongban_grpc_server_handled_total', () => new Counter({
      name: 'tongban_grpc_server_handled_total', help: 'gRPC calls handled, by method and status code', labelNames: ['method', 'code'] as const,
    })),
    duration: singleMetric('tongban_grpc_server_handling_seconds', () => new Histogram({
      name: 'tongban_grpc_server_handling_seconds', help: 'gRPC call latency in the service, seconds', labelNames: ['method', 'code'] as const, buckets: LATENCY_BUCKETS,
    })),
  };
}

const CODE_NAMES = new Map<number, string>(Object.entries(grpcStatus).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v as number, k]));

/** The status code name of a gRPC status number (`OK`, `NOT_FOUND` …). */
export function grpcCodeName(code: number | undefined): string {
  return CODE_NAMES.get(code ?? grpcStatus.UNKNOWN) ?? String(code);
}

/** The series of {@link grpcServerMetrics}, looked up once (not in the registry on every call). */
let grpcServer: ReturnType<typeof grpcServerMetrics> | undefined;

/** Starts timing a gRPC call of `method`; the returned function records it with its status code. */
export function observeGrpcCall(method: string): (code: number | undefined) => void {
  const metrics = grpcServer ??= grpcServerMetrics();
  const start = process.hrtime.bigint();
  return (code) => {
    const labels = { method, code: grpcCodeName(code) };
    metrics.duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    metrics.handled.inc(labels);
  };
}

/** Appends to the event store: latency by outcome, events appended, expected-revision conflicts. */
export function eventStoreMetrics() {
  return {
    duration: singleMetric('tongban_eventstore_append_duration_seconds', () => new Histogram({
      name: 'tongban_eventstore_append_duration_seconds', help: 'Event store append latency, seconds, by outcome (ok, conflict, error)', labelNames: ['outcome'] as const, buckets: LATENCY_BUCKETS,
    })),
    events: singleMetric('tongban_eventstore_appended_events_total', () => new Counter({
      name: 'tongban_eventstore_appended_events_total', help: 'Events appended to the event store',
    })),
    conflicts: singleMetric('tongban_eventstore_append_conflicts_total', () => new Counter({
      name: 'tongban_eventstore_append_conflicts_total', help: 'Appends refused because the stream moved (wrong expected revision; the executor retries them)',
    })),
  };
}

/**
 * `store` with its appends measured (see {@link eventStoreMetrics}) and traced (an `eventstore append` span
 * whose `traceparent` the events carry, see {@link tracedAppend}); everything else passes through.
 */
export function measuredEventStore<S extends EventStore>(store: S): S {
  const metrics = eventStoreMetrics();
  const append: EventStore['append'] = (stream, events, expected) => tracedAppend(stream, events, async (stamped) => {
    const end = metrics.duration.startTimer();
    try {
      const result = await store.append(stream, stamped, expected);
      end({ outcome: 'ok' });
      metrics.events.inc(events.length);
      return result;
    } catch (err) {
      const conflict = err instanceof WrongExpectedRevisionError;
      end({ outcome: conflict ? 'conflict' : 'error' });
      if (conflict) metrics.conflicts.inc();
      throw err;
    }
  });
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'append') return append;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

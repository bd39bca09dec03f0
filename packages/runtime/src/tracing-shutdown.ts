/**
 * How the SDK started by ./tracing-start.ts is flushed and stopped at shutdown. A module of its own, without
 * imports: tracing-start.ts must load nothing that loads pg, gRPC or http before the SDK is started.
 */

let flush: (() => Promise<void>) | undefined;

/** Called by ./tracing-start.ts: how to flush and stop the SDK it started. */
export function onTracingShutdown(stop: () => Promise<void>): void {
  flush = stop;
}

/**
 * Whether ./tracing-start.ts started the SDK in this process (OTEL_EXPORTER_OTLP_ENDPOINT set), until
 * shutdownTracing. While it is false no span can be recorded or carried on, so the hot paths skip making
 * them (tracedAppend).
 */
export function tracingStarted(): boolean {
  return flush !== undefined;
}

/** Exports the spans still buffered and stops the SDK (a no-op when tracing is off); never throws. */
export async function shutdownTracing(): Promise<void> {
  const stop = flush;
  flush = undefined;
  await stop?.().catch(() => undefined);
}

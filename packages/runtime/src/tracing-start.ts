/**
 * Issue 12 item 4: `import '@tongban/runtime/tracing'`, the first line of every process's main.ts. When
 * OTEL_EXPORTER_OTLP_ENDPOINT is set it starts the OpenTelemetry Node SDK — OTLP over HTTP (protobuf, or
 * JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json), the http, fastify (@fastify/otel), gRPC and pg
 * instrumentation — before pg, @grpc/grpc-js, http and fastify are loaded (the instrumentation patches
 * them as they load, so it must come first, whichever launcher runs main.ts: `npm start`, the image, a
 * test). Unset, nothing is loaded or started: the SDK's packages are required only inside
 * {@link startTracing}, and the code elsewhere talks to `@opentelemetry/api`, a no-op without an SDK.
 */
import type * as FastifyOtel from '@fastify/otel';
import type * as GrpcInstrumentation from '@opentelemetry/instrumentation-grpc';
import type * as HttpInstrumentation from '@opentelemetry/instrumentation-http';
import type * as PgInstrumentation from '@opentelemetry/instrumentation-pg';
import type * as SdkNode from '@opentelemetry/sdk-node';
import { SETTINGS, isProcessName } from './settings';
import { onTracingShutdown } from './tracing-shutdown';

/** Requests never traced: probes and scrapes (every few seconds, each would be a trace of its own). */
const UNTRACED_PATHS = /^\/(healthz|readyz|metrics)(\?|$)/;

/** gRPC methods never traced: the health checks (`grpc.health.v1.Health/Check`, `Watch`) the gateway's /readyz makes. */
const UNTRACED_GRPC_METHODS = ['Check', 'Watch'];

/**
 * The process an entry point runs, from its path — `services/<name>/src/main.ts` (tsx), or the image's
 * compiled `dist/<name>.js` (scripts/build-dist.ts) — as the spans' `service.name`. Undefined for any other.
 */
export function processNameOf(entry: string | undefined): string | undefined {
  if (!entry) return undefined;
  const name = /(?:^|[\\/])services[\\/]([a-z-]+)[\\/]src[\\/]main\.ts$/.exec(entry)?.[1] ?? /(?:^|[\\/])dist[\\/]([a-z-]+)\.js$/.exec(entry)?.[1];
  return name && isProcessName(name) ? name : undefined;
}

/**
 * The name of a gateway hook's span: `handler <route>` (`handler /api/v1/tickets`), `<hook> <function>` for
 * a named hook function (`onRequest required`), else the hook alone — never the source text fastify
 * names an anonymous plugin's functions by.
 */
export function hookSpanName(info: { hookName: string; handler?: string; request: { routeOptions: { url?: string } } }): string {
  if (info.hookName === 'handler') return `handler ${info.request.routeOptions.url ?? ''}`.trim();
  return info.handler && info.handler !== info.hookName && /^[\w$.-]{1,60}$/.test(info.handler) ? `${info.hookName} ${info.handler}` : info.hookName;
}

/**
 * Starts the SDK when `env.OTEL_EXPORTER_OTLP_ENDPOINT` is set and every OTEL_* setting is valid (a wrong
 * one is left for the process's own `loadSettings`, which stops it with one line naming it). Spans go to
 * `<endpoint>/v1/traces`, batched (OTEL_BSP_SCHEDULE_DELAY), flushed at shutdown (gracefulShutdown →
 * shutdownTracing).
 * @returns true when the SDK was started.
 * @throws what the SDK or an instrumentation throws while starting (see the call below).
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env, entry: string | undefined = process.argv[1]): boolean {
  if (!env['OTEL_EXPORTER_OTLP_ENDPOINT']) return false;
  // A wrong OTEL_* value: no tracing; the process's own loadSettings stops it with the line naming it.
  if (SETTINGS.some((s) => s.name.startsWith('OTEL_') && env[s.name] && !s.schema.safeParse(env[s.name]).success)) return false;
  const name = processNameOf(entry) ?? 'tongban';
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on, and synchronously, before the instrumented modules */
  const { NodeSDK, resources } = require('@opentelemetry/sdk-node') as typeof SdkNode;
  const { HttpInstrumentation: Http } = require('@opentelemetry/instrumentation-http') as typeof HttpInstrumentation;
  const { GrpcInstrumentation: Grpc } = require('@opentelemetry/instrumentation-grpc') as typeof GrpcInstrumentation;
  const { PgInstrumentation: Pg } = require('@opentelemetry/instrumentation-pg') as typeof PgInstrumentation;
  const { FastifyOtelInstrumentation } = require('@fastify/otel') as typeof FastifyOtel;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const sdk = new NodeSDK({
    serviceName: env['OTEL_SERVICE_NAME'] || name,
    resource: resources.defaultResource().merge(resources.resourceFromAttributes({ 'service.namespace': 'tongban' })),
    // Traces only: the exporter from OTEL_EXPORTER_OTLP_* (the SDK's own reading); metrics are Prometheus
    // (/metrics), logs pino on stdout — the SDK would otherwise export both over OTLP as well.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new Http({ ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.test(req.url ?? '') }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: (opts) => UNTRACED_PATHS.test(opts.url),
        // The handler and the hooks where time goes before it (authentication, validation, rate limits);
        // not the microsecond onSend/onResponse ones of every plugin.
        instrumentHooks: ['onRequest', 'preValidation', 'preHandler'],
        lifecycleHook: (span, info) => span.updateName(hookSpanName(info)),
      }),
      new Grpc({ ignoreGrpcMethods: UNTRACED_GRPC_METHODS }),
      // Only queries of a traced action: the relay's and the deadline's polls would each start a trace.
      new Pg({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  onTracingShutdown(() => sdk.shutdown());
  return true;
}

try {
  startTracing();
} catch (err) {
  // Telemetry must not take the service down: say so on one line and run untraced.
  console.error(`tracing not started (OTEL_EXPORTER_OTLP_ENDPOINT=${process.env['OTEL_EXPORTER_OTLP_ENDPOINT']}): ${err instanceof Error ? err.message : String(err)}`);
}

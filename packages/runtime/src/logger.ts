import pino, { type Logger } from 'pino';
import { handlingContext } from './context';
import { traceFields } from './tracing';

/** Removes secrets from a logged URL (an Open311 api_key sent in a query string). */
export function redactUrl(url: string): string {
  return url.replace(/([?&]api_key=)[^&#]*/gi, '$1[redacted]');
}

/**
 * A JSON logger (pino) named after the service. Authorization headers and api_key values are
 * redacted from logged requests. A line written while a gRPC call or a ticket event is handled carries
 * its `correlationId` (and `causationId`: the event), see context.ts, and — while tracing is on — the
 * active span's `traceId` and `spanId` (tracing.ts).
 */
export function createLogger(service: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    mixin: () => {
      const context = handlingContext();
      const handling = context ? { correlationId: context.correlationId, ...(context.causationId ? { causationId: context.causationId } : {}) } : {};
      return { ...handling, ...traceFields() };
    },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'api_key', 'apiKey'], censor: '[redacted]' },
    serializers: {
      req: (req: { method?: string; url?: string; id?: string }) => ({ method: req.method, url: req.url ? redactUrl(req.url) : req.url, id: req.id }),
    },
  });
}

export type { Logger };

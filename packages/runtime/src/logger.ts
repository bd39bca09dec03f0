import pino, { type Logger } from 'pino';

/** A JSON logger (pino) named after the service. */
export function createLogger(service: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ name: service, level, base: { service } });
}

export type { Logger };

import { randomBytes } from 'node:crypto';

/**
 * A name unique across processes and runs, safe as a PostgreSQL identifier, a NATS stream or
 * consumer name and a NATS subject token: lowercase letters, digits and `_` only.
 * Shape: `<prefix>_<base36 ms timestamp>_<16 hex random>`.
 * @param prefix letters, digits and `_` (anything else is replaced by `_`), e.g. `"es_test"`.
 */
export function uniqueName(prefix: string): string {
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `${safePrefix}_${Date.now().toString(36)}_${randomBytes(8).toString('hex')}`;
}

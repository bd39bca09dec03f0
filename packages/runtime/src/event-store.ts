import type { Clock } from '@tongban/domain';
import { KurrentDbEventStore, PostgresEventStore, type EventStore } from '@tongban/eventstore';
import type pg from 'pg';
import { ConfigError } from './config';

/**
 * Issue 17 item 4: which adapter of the event store port a process uses (`TONGBAN_EVENT_STORE`, default
 * `postgres`). `kurrentdb` puts the ticket streams on a KurrentDB / EventStoreDB (22.6 or later) server at
 * `TONGBAN_KURRENTDB_URL`; PostgreSQL (`DATABASE_URL`) still holds every other table (read models, timers,
 * the relay's checkpoint, the ledgers). The adapter passes the same conformance suite as PostgreSQL, except
 * that duplicate event ids are only detected within a stream (packages/eventstore/src/kurrentdb/adapter.ts).
 */
export const EVENT_STORE_KINDS = ['postgres', 'kurrentdb'] as const;

/** An event store adapter that `TONGBAN_EVENT_STORE` can name. */
export type EventStoreKind = (typeof EVENT_STORE_KINDS)[number];

/**
 * Processes that also read PostgreSQL's `events` table with SQL (joins and snapshot horizons the port does
 * not offer): the query service (audit anchors and exports, public updates, the statistics export,
 * rebuild). They refuse to start with `kurrentdb` instead of reading an empty table.
 */
export const POSTGRES_EVENT_TABLE_READERS: readonly string[] = ['query'];

/** The adapter a process opens: `postgres`, or `kurrentdb` with its connection string. */
export type EventStoreChoice = { kind: 'postgres' } | { kind: 'kurrentdb'; url: string };

/**
 * The event store a process is configured for, from `TONGBAN_EVENT_STORE` and `TONGBAN_KURRENTDB_URL`
 * (unset or empty: `postgres`).
 * @throws ConfigError when TONGBAN_EVENT_STORE is neither `postgres` nor `kurrentdb`, when `kurrentdb` has no
 *   TONGBAN_KURRENTDB_URL, or when `process` reads the PostgreSQL events table directly (see
 *   {@link POSTGRES_EVENT_TABLE_READERS}).
 */
export function eventStoreChoice(process: string, env: NodeJS.ProcessEnv = globalThis.process.env): EventStoreChoice {
  const raw = (env['TONGBAN_EVENT_STORE'] ?? '').trim();
  if (raw === '' || raw === 'postgres') return { kind: 'postgres' };
  if (raw !== 'kurrentdb') throw new ConfigError(`TONGBAN_EVENT_STORE=${JSON.stringify(raw)} is not allowed: must be one of ${EVENT_STORE_KINDS.join(', ')}`);
  if (POSTGRES_EVENT_TABLE_READERS.includes(process)) {
    throw new ConfigError(`TONGBAN_EVENT_STORE=kurrentdb is not supported by ${process}: it reads the PostgreSQL events table directly (audit, public updates, statistics export, rebuild)`);
  }
  const url = (env['TONGBAN_KURRENTDB_URL'] ?? '').trim();
  if (url === '') throw new ConfigError('TONGBAN_EVENT_STORE=kurrentdb needs TONGBAN_KURRENTDB_URL (e.g. kurrentdb://127.0.0.1:2113?tls=false)');
  return { kind: 'kurrentdb', url };
}

/**
 * Opens the chosen adapter: PostgreSQL on `pool` (its migrations run first), or a KurrentDB client on the
 * URL (it connects on first use; close() disposes of it). `recordedAt` comes from `clock`.
 * @throws the PostgreSQL connection or migration error (transient errors are retried by the caller).
 */
export async function openEventStore(choice: EventStoreChoice, pool: pg.Pool, clock: Clock): Promise<EventStore> {
  return choice.kind === 'kurrentdb' ? KurrentDbEventStore.create(choice.url, clock) : PostgresEventStore.create(pool, clock);
}

/**
 * @tongban/eventstore: the event store port, the per-stream hash chain, the PostgreSQL adapter and
 * the conformance suite every adapter runs.
 */
export {
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from './port';
export type {
  AppendResult,
  Clock,
  EventActor,
  EventMetadataInput,
  EventStore,
  ExpectedRevision,
  GlobalPosition,
  NewEvent,
  RecordedEvent,
} from './port';
export { computeEventHash, GENESIS_HASH, verifyChain } from './hash';
export type { ChainAnchor, ChainVerification, HashedEventFields } from './hash';
export { PostgresEventStore, systemClock } from './postgres/adapter';
export type { PostgresEventStoreOptions } from './postgres/adapter';
export { KurrentDbEventStore, type KurrentDbEventStoreOptions } from './kurrentdb/adapter';
export { migrateEventStore, eventStoreMigrations, EVENTSTORE_COMPONENT } from './postgres/migrations';
export { runMigrations } from './postgres/migrator';
export type { Migration } from './postgres/migrator';
export { describeEventStoreConformance } from './conformance';
export type { ConformanceTarget, ManualClock } from './conformance';
export { newTestEvent, newTicketStream } from './fixtures';

export { toRecordedEvent } from './postgres/rows';
export type { EventRow } from './postgres/rows';

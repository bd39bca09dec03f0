/**
 * @tongban/eventstore: the event store port, the per-stream hash chain, the PostgreSQL adapter and
 * the KurrentDB adapter. Test helpers (the conformance suite, fixtures): `@tongban/eventstore/testing`.
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
export { canonicalJson } from './canonical-json';
export { computeEventHash, computeEventHashOfJson, GENESIS_HASH, verifyChain, verifyRehashedChain } from './hash';
export type { ChainAnchor, ChainLink, ChainVerification, HashedEventFields, RehashedLink } from './hash';
export { systemClock } from './clock';
export { PostgresEventStore } from './postgres/adapter';
export { createPool, guardPool } from './postgres/pool';
export { pipelineStall } from './postgres/stall';
export type { HorizonHolder, PipelineHold } from './postgres/stall';
export type { CreatePoolOptions } from './postgres/pool';
export { isTransientError, TransientError } from './transient';
export { EVENT_TYPE_PATTERN } from './validation';
export type { PostgresEventStoreOptions } from './postgres/adapter';
export { KurrentDbEventStore, type KurrentDbEventStoreOptions } from './kurrentdb/adapter';
export { migrateEventStore, eventStoreMigrations, EVENTSTORE_COMPONENT } from './postgres/migrations';
export { runMigrations } from './postgres/migrator';
export { inTransaction, withTransaction } from './postgres/transaction';
export type { TransactionControl, TransactionOptions, TransactionWork } from './postgres/transaction';
export { AdvisoryLeader, LeadershipLostError } from './postgres/leader';
export type { LeaderLockKey } from './postgres/leader';
export type { Migration } from './postgres/migrator';

export { toRecordedEvent } from './postgres/rows';
export type { EventRow } from './postgres/rows';

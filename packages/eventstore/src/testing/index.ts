/**
 * @tongban/eventstore/testing: what the tests of adapters and of the code above them share, kept out of
 * the production entry point — the conformance suite every adapter runs, event fixtures, an append that
 * bypasses the port's checks (to store what an older writer could have), and an in-memory KurrentDB client.
 */
export { describeEventStoreConformance } from './conformance';
export type { ConformanceTarget, ManualClock } from './conformance';
export { appendUnchecked, newTestEvent, newTicketStream } from './fixtures';
export { FakeKurrentDb } from './kurrentdb-fake-client';

import type { Clock } from '@tongban/domain';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';

/** The real clock (one for the platform, defined beside the event store's default). */
export { systemClock } from '@tongban/eventstore';

/**
 * A settable clock for tests: `now()` = real time + offset, so time keeps moving from the instant
 * that was set. Exists only when TONGBAN_TEST_CLOCK=1 (see `createClock`).
 */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  /** Sets the offset (ms) from real time. */
  setOffset(offsetMs: number): void {
    this.offsetMs = offsetMs;
  }
  /** The offset from real time, ms. */
  offset(): number {
    return this.offsetMs;
  }
}

/** Subjects and bucket of the shared test clock for a namespace. */
export function testClockNames(namespace: string): { bucket: string; subject: string } {
  return { bucket: `${namespace}_test_clock`.replace(/[^A-Za-z0-9_-]/g, '_'), subject: `${namespace}.testclock.set` };
}

/** The test clock's KV bucket (created when missing) with `replicas` JetStream replicas. */
function testClockBucket(nc: NatsConnection, namespace: string, replicas: number) {
  return new Kvm(nc).create(testClockNames(namespace).bucket, { history: 1, replicas });
}

/**
 * Joins the platform-wide test clock: loads the current offset from the NATS KV bucket, then follows
 * changes announced on the test clock subject, answering each with the service name so that the
 * setter can wait until every service has the new time. Returns a function that stops following.
 * `onChange` is called after each change (e.g. the deadline service re-checks its timers); `replicas`
 * are the bucket's (TONGBAN_NATS_REPLICAS).
 */
export async function followTestClock(
  nc: NatsConnection, clock: TestClock, service: string, namespace: string, options: { onChange?: () => void; replicas?: number } = {},
): Promise<() => void> {
  const names = testClockNames(namespace);
  const onChange = options.onChange;
  const kv = await testClockBucket(nc, namespace, options.replicas ?? 1);
  const entry = await kv.get('offset');
  if (entry && entry.value.length > 0) clock.setOffset(Number(entry.string()));
  const sub = nc.subscribe(names.subject, {
    callback: (_err, msg) => {
      const offset = Number(msg.string());
      if (Number.isFinite(offset)) clock.setOffset(offset);
      onChange?.();
      msg.respond(service);
    },
  });
  await nc.flush();
  return () => sub.unsubscribe();
}

/**
 * Sets the platform-wide test clock to `instant` (UTC): stores the offset in the KV bucket (for
 * processes that start later) and announces it, waiting up to `waitMs` for an answer from each of
 * `services`. Returns the services that acknowledged.
 */
export async function setTestClock(
  nc: NatsConnection, namespace: string, instant: Date, services: readonly string[], waitMs = 2000, replicas = 1,
): Promise<{ offsetMs: number; acknowledged: string[] }> {
  const names = testClockNames(namespace);
  const offsetMs = instant.getTime() - Date.now();
  const kv = await testClockBucket(nc, namespace, replicas);
  await kv.put('offset', String(offsetMs));
  const acknowledged = new Set<string>();
  const replies = await nc.requestMany(names.subject, String(offsetMs), { strategy: 'timer', maxWait: waitMs });
  for await (const reply of replies) {
    acknowledged.add(reply.string());
    if (services.every((s) => acknowledged.has(s))) break;
  }
  return { offsetMs, acknowledged: [...acknowledged] };
}

import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '@tongban/messaging';
import { SERVICE_NAMES, TestClock, followTestClock, setTestClock, untilAvailable } from '@tongban/runtime';
import type { Logger } from 'pino';

/** What the test clock routes need: set the platform time, read it. Exists only with TONGBAN_TEST_CLOCK=1. */
export interface TestClockControl {
  /** Sets every service's clock to `instant`; resolves with the services that acknowledged. */
  set(instant: Date): Promise<{ acknowledged: string[] }>;
  /** The current test time. */
  now(): Date;
  /** Releases resources (the NATS connection). */
  close(): Promise<void>;
}

/**
 * The platform test clock over NATS (runtime's setTestClock/followTestClock): the gateway follows the
 * shared offset so that GET returns the time every service reads, and PUT announces a new one and waits
 * for each service of SERVICE_NAMES to acknowledge.
 * @throws Error when NATS cannot be reached.
 */
export async function natsTestClock(natsUrl: string, namespace: string, log: Logger, replicas = 1): Promise<TestClockControl> {
  const nc: NatsConnection = await connectNats(natsUrl, { name: 'gateway-test-clock' });
  const clock = new TestClock();
  // A just-created replicated bucket (a cluster electing its leaders) answers with timeouts for a while.
  const stopFollowing = await untilAvailable('the test clock bucket', () => followTestClock(nc, clock, 'gateway', namespace, { replicas }), log);
  log.warn({ namespace }, 'test clock enabled (TONGBAN_TEST_CLOCK=1): PUT /api/v1/test/clock sets the time of every service');
  return {
    async set(instant) {
      const { offsetMs, acknowledged } = await setTestClock(nc, namespace, instant, SERVICE_NAMES, 2000, replicas);
      clock.setOffset(offsetMs);
      return { acknowledged: acknowledged.filter((s) => s !== 'gateway') };
    },
    now: () => clock.now(),
    async close() {
      stopFollowing();
      await nc.drain().catch(() => undefined);
    },
  };
}

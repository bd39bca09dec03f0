import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsUrl, uniqueName } from '@tongban/testing';
import pino from 'pino';
import { natsLiveFeed, type LiveFeed } from './live';

/**
 * The live feed against a real NATS server: listeners get the type of each ticket event published, and
 * the gateway holds a subscription only while someone listens (issue 13: no event is delivered to a
 * gateway for nobody).
 */

let nc: NatsConnection;
let feed: LiveFeed;
const subject = uniqueName('gw_live');

/** Whether anything subscribes to `<subject>.<type>`: a request to it answers "no responders" at once when nothing does. */
async function subscribed(): Promise<boolean> {
  try {
    await nc.request(`${subject}.Probe`, '', { timeout: 300 });
    return true;
  } catch (err) {
    const noResponders = (err as { isNoResponders?: () => boolean }).isNoResponders?.() === true || (err as Error).name === 'NoRespondersError';
    return !noResponders;
  }
}

/**
 * True once nothing subscribes (within 5 s): the feed does not flush its UNSUB, and the probe goes over
 * another connection, so a probe sent at once may still find the subscription on a busy machine.
 */
async function unsubscribedSoon(): Promise<boolean> {
  const until = Date.now() + 5000;
  while (await subscribed()) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** Publishes `type` until `seen` holds it (the subscription may still be on its way), within 5 s. */
async function publishUntilSeen(type: string, seen: string[]): Promise<void> {
  const until = Date.now() + 5000;
  while (!seen.includes(type)) {
    if (Date.now() > until) throw new Error(`${type} never reached the listener`);
    nc.publish(`${subject}.${type}`, '{}');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  nc = await connect({ servers: natsUrl() });
  feed = natsLiveFeed({ natsUrl: natsUrl(), eventsSubject: subject }, pino({ level: 'silent' }));
});
afterAll(async () => {
  await feed.close();
  await nc.close();
});

it('subscribes while someone listens, and only then', async () => {
  // Connected, but nobody listens: no subscription.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await subscribed()).toBe(false);

  const first: string[] = [];
  const second: string[] = [];
  const offFirst = feed.subscribe((type) => first.push(type));
  await publishUntilSeen('TicketSubmitted', first);
  const offSecond = feed.subscribe((type) => second.push(type));
  await publishUntilSeen('TicketRouted', second);
  expect(first).toContain('TicketRouted');
  expect(await subscribed()).toBe(true);

  offFirst();
  expect(await subscribed()).toBe(true);
  offSecond();
  expect(await unsubscribedSoon()).toBe(true);
  const before = second.length;
  nc.publish(`${subject}.TicketClosed`, '{}');
  await nc.flush();
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(second).toHaveLength(before);

  // A listener again: subscribed again.
  const third: string[] = [];
  const offThird = feed.subscribe((type) => third.push(type));
  await publishUntilSeen('TicketAccepted', third);
  offThird();
});

it('holds one subscription for the listener left after listeners came and went in one tick (each ended twice), and none after it (one added before connecting)', async () => {
  const other = natsLiveFeed({ natsUrl: natsUrl(), eventsSubject: subject }, pino({ level: 'silent' }));
  try {
    const early: string[] = [];
    const offEarly = other.subscribe((type) => early.push(type)); // before the feed's connection is up
    await publishUntilSeen('TicketSubmitted', early);
    offEarly();
    const kept: string[] = [];
    let offKept = other.subscribe((type) => kept.push(type));
    // Flapping in one tick: each last listener leaves (the subscription ends) and a new one comes (a new
    // subscription) before the old one's loop has ended; the old listener's end comes again after (the
    // request's close and the response's error both end it).
    for (let i = 0; i < 5; i++) {
      const previous = offKept;
      previous();
      offKept = other.subscribe((type) => kept.push(type));
      previous();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    await publishUntilSeen('TicketRouted', kept);
    // One subscription: an event once.
    nc.publish(`${subject}.TicketClosed`, '{}');
    await nc.flush();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(kept.filter((type) => type === 'TicketClosed')).toHaveLength(1);
    offKept();
    offKept();
    expect(await unsubscribedSoon()).toBe(true);
  } finally {
    await other.close();
  }
});

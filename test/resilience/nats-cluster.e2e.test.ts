/**
 * Issue 16 items 13 and 20, on real processes and a real 3-node NATS cluster started here.
 * - With TONGBAN_NATS_REPLICAS=3 the platform itself creates its ticket stream, dead-letter stream and
 *   KV bucket with three replicas.
 * - After a consumer-leader step-down of every durable, and after a SIGKILL of the node leading the
 *   routing consumer, the next ticket is routed, projected, timed and notified within 5 s, and each
 *   service logs the leader change.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '@tongban/messaging';
import { PLATFORM_CONSUMERS, durableName } from '@tongban/runtime';
import { type NatsCluster, natsClusterUnavailable, startNatsCluster, waitFor } from '@tongban/testing';
import type pg from 'pg';
import { submission } from '../support/load';
import { type TestStack, startTestStack } from '../support/test-stack';

const unavailable = natsClusterUnavailable();
if (unavailable) console.warn(`NATS cluster tests skipped: ${unavailable}`);
const describeIf = unavailable ? describe.skip : describe;

/** Longest time from a submission to all four effects after a leader change (the bound). */
const RESUME_WITHIN_MS = 5_000;

describeIf('consumers on a 3-node NATS cluster with R3 streams', () => {
  let cluster: NatsCluster;
  let stack: TestStack;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let db: pg.Pool;
  let citizen: string;
  let ns: string;
  let stream: string;

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    stack = await startTestStack({ NATS_URL: cluster.url, TONGBAN_NATS_REPLICAS: '3' });
    ns = stack.env['TONGBAN_NAMESPACE']!;
    stream = stack.env['TONGBAN_EVENTS_STREAM']!;
    nc = await connectNats(cluster.url, { name: 'cluster-test' });
    jsm = await jetstreamManager(nc);
    db = stack.pool(2);
    citizen = (await stack.device()).token;
  }, 240_000);
  afterAll(async () => {
    await nc?.close();
    await stack?.stop().catch(() => undefined);
    await cluster?.dispose();
  });

  const durables = () => PLATFORM_CONSUMERS.map((c) => durableName(ns, c));

  /** Submits a ticket and resolves with ms until it is routed, projected, timed and notified. */
  const effectsOfNewTicket = async (label: string): Promise<{ id: string; ms: number }> => {
    const started = Date.now();
    const res = await stack.api('POST', '/api/v1/tickets', { token: citizen, headers: { 'idempotency-key': `${label}-${started}` }, body: submission(0) });
    expect(res.status).toBe(201);
    const id: string = res.body.id;
    await waitFor(async () => {
      const { rows } = await db.query<{ routed: boolean; projected: boolean; timed: boolean; notified: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM events WHERE stream = $2 AND type = 'TicketRouted') AS routed,
                EXISTS (SELECT 1 FROM ticket_views WHERE ticket_id = $1 AND status = 'routed') AS projected,
                EXISTS (SELECT 1 FROM sla_timers WHERE ticket_id = $1) AS timed,
                EXISTS (SELECT 1 FROM inbox_messages WHERE ticket_id = $1 AND kind = 'ticket-arrived') AS notified`,
        [id, `ticket-${id}`],
      );
      const r = rows[0]!;
      return r.routed && r.projected && r.timed && r.notified;
    }, { timeoutMs: 60_000, intervalMs: 100, description: `${label}: routed, projected, timed and notified` });
    return { id, ms: Date.now() - started };
  };

  const leaderOf = async (durable: string): Promise<string | undefined> => (await jsm.consumers.info(stream, durable)).cluster?.leader;

  it('creates its streams and KV bucket with three replicas', async () => {
    expect((await jsm.streams.info(stream)).config.num_replicas).toBe(3);
    expect((await jsm.streams.info(`${stream}_DEADLETTER`)).config.num_replicas).toBe(3);
    expect((await jsm.streams.info(`KV_${ns}_test_clock`)).config.num_replicas).toBe(3);
    for (const durable of durables()) {
      const info = await jsm.consumers.info(stream, durable);
      expect(info.cluster?.replicas?.length).toBe(2); // a leader and two followers
    }
    const baseline = await effectsOfNewTicket('baseline');
    expect(baseline.ms).toBeLessThan(RESUME_WITHIN_MS);
  }, 120_000);

  it('resumes within 5 s after a consumer-leader step-down of every durable, and logs it', async () => {
    const before = new Map<string, string | undefined>();
    for (const durable of durables()) {
      before.set(durable, await leaderOf(durable));
      await nc.request(`$JS.API.CONSUMER.LEADER.STEPDOWN.${stream}.${durable}`, '', { timeout: 5000 });
    }
    await waitFor(async () => {
      for (const durable of durables()) {
        const leader = await leaderOf(durable);
        if (!leader || leader === before.get(durable)) return false;
      }
      return true;
    }, { timeoutMs: 30_000, intervalMs: 200, description: 'new consumer leaders' });
    const after = await effectsOfNewTicket('stepdown');
    expect(after.ms).toBeLessThan(RESUME_WITHIN_MS);
    for (const durable of durables()) {
      expect(stack.logs().some((line) => line.includes('consumer leader changed') && line.includes(`"consumer":"${durable}"`))).toBe(true);
    }
  }, 120_000);

  it('resumes within 5 s after the node leading the routing consumer is killed', async () => {
    const routing = durableName(ns, 'routing');
    const victim = await leaderOf(routing);
    expect(victim).toBeDefined();
    await cluster.kill(victim!, 'SIGKILL');
    try {
      // The clock starts once the cluster has a routing-consumer leader and a ticket-stream leader
      // again: the bound is on our consumers noticing the change, not on the servers' own election
      // (a publish to a stream without a leader waits for the relay's PubAck timeout).
      await waitFor(async () => {
        try {
          const leader = await leaderOf(routing);
          const streamLeader = (await jsm.streams.info(stream)).cluster?.leader;
          return leader !== undefined && leader !== victim && streamLeader !== undefined && streamLeader !== victim;
        } catch {
          return false;
        }
      }, { timeoutMs: 30_000, intervalMs: 200, description: 'new routing consumer and ticket stream leaders' });
      const after = await effectsOfNewTicket('node-kill');
      expect(after.ms).toBeLessThan(RESUME_WITHIN_MS);
      expect(stack.unexpectedExits()).toEqual([]);
    } finally {
      await cluster.start(victim!);
    }
  }, 120_000);
});

/** How far behind a durable consumer is, from JetStream's own bookkeeping (for readiness and alerts). */
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';

/** A consumer's backlog. */
export interface ConsumerLag {
  /** Messages not yet delivered to any replica. */
  pending: number;
  /** Messages delivered and not yet acknowledged (in hand, or waiting for redelivery). */
  ackPending: number;
  /** Messages being delivered again (failed, or not acknowledged in time). */
  redelivered: number;
  /** Age of the oldest message not yet acknowledged, seconds (0 when caught up). */
  lagSeconds: number;
  /** The server leading the consumer (on a cluster). */
  leader?: string;
}

/**
 * The backlog of `durable` on `stream`, or undefined when the consumer does not exist (yet).
 * The age is that of the first message after the ack floor matching the consumer's filter.
 * @throws the JetStream error when the server does not answer.
 */
export async function consumerLag(jsm: JetStreamManager, stream: string, durable: string, now = Date.now()): Promise<ConsumerLag | undefined> {
  let info;
  try {
    info = await jsm.consumers.info(stream, durable);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
    throw error;
  }
  const lag: ConsumerLag = {
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
    lagSeconds: 0,
    ...(info.cluster?.leader ? { leader: info.cluster.leader } : {}),
  };
  if (info.num_pending + info.num_ack_pending === 0) return lag;
  const filter = info.config.filter_subject || undefined;
  const query = { seq: info.ack_floor.stream_seq + 1, ...(filter ? { next_by_subj: filter } : {}) };
  const oldest = await jsm.streams.getMessage(stream, query as { seq: number }).catch(() => null);
  if (oldest) lag.lagSeconds = Math.max(0, (now - Date.parse(oldest.time.toISOString())) / 1000);
  return lag;
}

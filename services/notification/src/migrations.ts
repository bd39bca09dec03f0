import type { Migration } from '@tongban/eventstore';

/** In-app inbox messages (one per (event, recipient), so a redelivered event writes nothing twice) and webhook deliveries. */
export const NOTIFICATION_MIGRATIONS: readonly Migration[] = [
  {
    id: '001_inbox',
    sql: `
      CREATE TABLE inbox_messages (
        id uuid PRIMARY KEY,
        recipient_kind text NOT NULL,
        recipient_id text NOT NULL,
        ticket_id uuid NOT NULL,
        kind text NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL,
        event_id uuid NOT NULL,
        UNIQUE (event_id, recipient_kind, recipient_id)
      );
      CREATE INDEX inbox_recipient ON inbox_messages (recipient_kind, recipient_id, created_at DESC);`,
  },
  {
    // Successful webhook deliveries: a redelivered event re-sends only to the subscriptions that failed.
    id: '002_webhook_deliveries',
    sql: `
      CREATE TABLE webhook_deliveries (
        message_id uuid NOT NULL,
        subscription_id text NOT NULL,
        delivered_at timestamptz NOT NULL,
        PRIMARY KEY (message_id, subscription_id)
      );`,
  },
];

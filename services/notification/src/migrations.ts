import type { Migration } from '@tongban/eventstore';
import { LEDGER_MIGRATIONS } from './ledger';
import { WEBHOOK_OUTBOX_MIGRATIONS } from './webhook-outbox';

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
  ...LEDGER_MIGRATIONS,
  {
    // Issue 16 item 12: the inbox is ordered by the event (its recorded time, then its revision within
    // the ticket), never by when a late redelivery happened to insert it.
    id: '004_inbox_event_order',
    sql: `
      ALTER TABLE inbox_messages ADD COLUMN event_revision integer NOT NULL DEFAULT 0;
      CREATE INDEX inbox_recipient_event_order ON inbox_messages (recipient_kind, recipient_id, created_at DESC, event_revision DESC);`,
  },
  ...WEBHOOK_OUTBOX_MIGRATIONS,
];

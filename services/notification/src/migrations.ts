import type { Migration } from '@tongban/eventstore';
import { LEDGER_MIGRATIONS } from './ledger';
import { WEBHOOK_OUTBOX_MIGRATIONS } from './webhook-outbox';

/**
 * In-app inbox messages (one per (event, recipient), so a redelivered event writes nothing twice), who read
 * them, and webhook deliveries.
 */
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
  {
    // Read state per person (issue 10): a read-up-to marker in the inbox's order per reader and unit
    // (staff read their unit's messages as members of that unit), and messages read one by one.
    id: '006_inbox_read_state',
    sql: `
      CREATE TABLE inbox_read_marks (
        reader_kind text NOT NULL,
        reader_id text NOT NULL,
        scope text NOT NULL,
        up_to_created_at timestamptz NOT NULL,
        up_to_revision integer NOT NULL,
        up_to_id uuid NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (reader_kind, reader_id, scope)
      );
      CREATE TABLE inbox_reads (
        reader_kind text NOT NULL,
        reader_id text NOT NULL,
        message_id uuid NOT NULL,
        read_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (reader_kind, reader_id, message_id)
      );`,
  },
];

import type { Migration } from '@tongban/eventstore';

/** The ticket read model: evolved state per ticket, with columns for filtering and scoping. */
export const QUERY_MIGRATIONS: readonly Migration[] = [
  {
    id: '001_ticket_views',
    sql: `
      CREATE TABLE ticket_views (
        ticket_id uuid PRIMARY KEY,
        revision integer NOT NULL,
        reference text NOT NULL,
        status text NOT NULL,
        service_code text NOT NULL,
        division text NOT NULL,
        holder_unit_id text NOT NULL,
        routed_unit_id text NOT NULL,
        first_responder_unit_id text,
        reporter_device_id text NOT NULL,
        reporter_staff_id text NOT NULL,
        units_involved text[] NOT NULL,
        submitted_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        first_response_due_at timestamptz,
        resolution_due_at timestamptz,
        state jsonb NOT NULL
      );
      CREATE INDEX ticket_views_holder ON ticket_views (holder_unit_id, status);
      CREATE INDEX ticket_views_division ON ticket_views (division text_pattern_ops);
      CREATE INDEX ticket_views_units ON ticket_views USING gin (units_involved);
      CREATE INDEX ticket_views_device ON ticket_views (reporter_device_id) WHERE reporter_device_id <> '';
      CREATE INDEX ticket_views_submitted ON ticket_views (submitted_at);`,
  },
];

import type { Migration } from '@tongban/eventstore';

/**
 * The query service's tables (append only: never edit an applied migration).
 * 001: the ticket read model, evolved state per ticket with columns for filtering and scoping.
 * 002: `ticket_stats`, one narrow row per ticket with what the statistics need (see stats/facts.ts),
 *      stamped with the writing transaction's xid8 so that caches can load what changed since a
 *      snapshot; `audit_anchor_heads`, the heads recorded by each anchor (a lookup derived from the
 *      `audit-anchors` stream, rebuilt from it by the rebuild command).
 * 003: `ticket_views.state` compressed with lz4 instead of pglz (issue 13: about 2 KB of JSON per ticket,
 *      so most states are compressed; lz4 costs the server about a third less to write — measured on the
 *      rebuild's COPY — and less to read back); a server built without lz4 keeps pglz. Values already
 *      stored keep their method until rewritten (by the next upsert of the ticket, or a rebuild).
 */
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
  {
    id: '002_ticket_stats_and_anchor_heads',
    sql: `
      CREATE TABLE ticket_stats (
        ticket_id uuid PRIMARY KEY,
        revision integer NOT NULL,
        division text NOT NULL,
        service_code text NOT NULL,
        accountable_unit_id text NOT NULL,
        handler_id text NOT NULL,
        status text NOT NULL,
        submitted_at timestamptz NOT NULL,
        first_response_due_at timestamptz,
        first_replied_at timestamptz,
        resolution_due_at timestamptz,
        resolution_paused boolean NOT NULL,
        resolved_at timestamptz,
        closed_at timestamptz,
        rating smallint,
        changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
      );
      CREATE INDEX ticket_stats_changed ON ticket_stats (changed_xid);
      CREATE INDEX ticket_stats_division ON ticket_stats (division text_pattern_ops, submitted_at);
      CREATE TABLE audit_anchor_heads (
        stream text NOT NULL,
        anchor_revision integer NOT NULL,
        revision integer NOT NULL,
        hash text NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (stream, anchor_revision)
      );
      CREATE INDEX audit_anchor_heads_anchor ON audit_anchor_heads (anchor_revision);`,
  },
  {
    id: '003_ticket_views_state_lz4',
    sql: `
      DO $$ BEGIN
        ALTER TABLE ticket_views ALTER COLUMN state SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported THEN NULL;
      END $$;`,
  },
];

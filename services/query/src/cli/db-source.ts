/**
 * The CLI reading the database directly. Everything but an unmasked export needs SELECT only; an
 * unmasked export first appends a PersonalDataDisclosed event, which a read-only role cannot do — so
 * with `tongban_auditor` an unmasked export is refused (use the API, which records it).
 */
import { ticketIdOf, isTicketId } from '@tongban/domain';
import { PostgresEventStore, systemClock } from '@tongban/eventstore';
import type { RecordedEvent } from '@tongban/eventstore';
import { ReporterKeyStore, hasSealedReporter, openSubmittedEvents } from '@tongban/runtime';
import pg from 'pg';
import { verifyAnchorStream } from '../audit/anchors';
import { recordDisclosure } from '../audit/disclosure';
import { CandidatePager, countTicketStreams, verifyStream, verifyStreams } from '../audit/evidence';
import { exportPage } from '../audit/export';
import type { StreamVerification } from '../audit/verify';
import { type AuditSource, CliError, type ExportRequest, type TicketVerification } from './source';


function toTicket(v: StreamVerification): TicketVerification {
  return {
    ticketId: ticketIdOf(v.stream) ?? v.stream, stream: v.stream, intact: v.intact, checkedEvents: v.checkedEvents, lastRevision: v.lastRevision,
    ...(v.firstBadRevision !== undefined ? { firstBadRevision: v.firstBadRevision } : {}), ...(v.reason ? { reason: v.reason } : {}),
    ...(v.anchor ? { anchor: v.anchor } : {}),
  };
}

/** Opens the database source. `auditor` names who records an unmasked export (event metadata). */
export function databaseSource(url: string, auditor: string): AuditSource {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined);
  const store = new PostgresEventStore({ pool, clock: systemClock });
  // The reporters' data keys, to open sealed reporters (issue 14 item 6): read only, opened when an event is sealed.
  let reporters: Promise<ReporterKeyStore> | undefined;
  const opened = async (events: RecordedEvent[]): Promise<RecordedEvent[]> => {
    if (!events.some(hasSealedReporter)) return events;
    try {
      return await openSubmittedEvents(await (reporters ??= ReporterKeyStore.open(pool, process.env, { readOnly: true })), events);
    } catch (err) {
      reporters = undefined;
      throw new CliError(`sealed reporters cannot be opened (${err instanceof Error ? err.message : String(err)}): set TONGBAN_REPORTER_KEY as the services have it, or use --api`);
    }
  };
  let pager: { key: string; pages: CandidatePager } | undefined;
  const safeUrl = new URL(url);
  safeUrl.password = '';
  return {
    description: `database ${safeUrl.host}${safeUrl.pathname} as ${decodeURIComponent(safeUrl.username || '(default user)')}`,
    async verifyTicket(ticketId) {
      if (!isTicketId(ticketId)) throw new CliError(`not a ticket id: ${ticketId}`);
      const v = await verifyStream(pool, store, `ticket-${ticketId.toLowerCase()}`);
      if (!v.known && v.checkedEvents === 0) {
        const { rowCount } = await pool.query('SELECT 1 FROM ticket_views WHERE ticket_id = $1', [ticketId]);
        if (!rowCount) throw new CliError(`no ticket ${ticketId}`);
        return { ...toTicket(v), intact: false, firstBadRevision: 0, reason: 'the read model knows the ticket but the stream has no events: it was deleted' };
      }
      return toTicket(v);
    },
    async verifyPage(division, after, limit) {
      // One pager per division and page size: the next page's candidates are read while this one is verified.
      if (pager?.key !== `${division}\0${limit}`) pager = { key: `${division}\0${limit}`, pages: new CandidatePager(pool, { limit, ...(division ? { division } : {}) }) };
      const page = await pager.pages.page(after ? `ticket-${after}` : undefined);
      const results = (await verifyStreams(pool, page.streams)).map(toTicket);
      const total = after ? 0 : await countTicketStreams(pool, division);
      return { results, total, ...(page.next ? { next: (ticketIdOf(page.next) ?? page.next) } : {}) };
    },
    verifyAnchors: (onProgress) => verifyAnchorStream(pool, store, { onProgress }),
    async history(ticketId) {
      if (!isTicketId(ticketId)) throw new CliError(`not a ticket id: ${ticketId}`);
      const stored = await store.readStream(`ticket-${ticketId.toLowerCase()}`);
      if (stored.length === 0) throw new CliError(`no ticket ${ticketId}`);
      const events = await opened(stored);
      return events.map((e) => ({
        revision: e.revision, type: e.type, occurredAt: e.metadata.occurredAt, recordedAt: e.recordedAt, actor: e.metadata.actor,
        ...(e.metadata.onBehalfOf ? { onBehalfOf: e.metadata.onBehalfOf } : {}), ...(e.metadata.channel ? { channel: e.metadata.channel } : {}),
        data: e.data,
      }));
    },
    async exportPage(req: ExportRequest) {
      let disclosureId = req.disclosureId;
      if (req.unmasked && !disclosureId) {
        try {
          disclosureId = await recordDisclosure(store, { kind: 'staff', id: auditor, role: 'auditor' }, {
            purpose: 'export', division: req.division, ...(req.from ? { from: req.from } : {}), ...(req.to ? { to: req.to } : {}),
            format: req.format, reason: req.reason ?? '', via: 'database',
          }, new Date());
        } catch (err) {
          throw new CliError(`an unmasked export must be recorded first, and recording failed (${err instanceof Error ? err.message : String(err)}). ` +
            'A read-only role cannot record: export unmasked through the API (--api with an auditor token), which records the request.');
        }
      }
      const page = await exportPage(pool, opened, {
        division: req.division, unmasked: req.unmasked, limit: req.limit,
        ...(req.from ? { from: req.from } : {}), ...(req.to ? { to: req.to } : {}), ...(req.afterStream ? { afterStream: req.afterStream } : {}),
      });
      return { rows: page.rows, ...(page.nextAfterStream ? { next: page.nextAfterStream } : {}), ...(disclosureId ? { disclosureId } : {}) };
    },
    async exportTotal(division) {
      return countTicketStreams(pool, division);
    },
    close: () => pool.end(),
  };
}

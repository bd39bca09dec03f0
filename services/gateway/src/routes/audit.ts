import type { FastifyInstance, FastifyRequest } from 'fastify';
import { asObject, callContext, parseUpstreamJson, type GatewayContext } from '../context';
import { unaryCall } from '../grpc-clients';
import { setEtag } from '../revision';
import { bearerSecurity, digits, openObjectSchema, problemResponses, ticketIdParams, type JsonSchema } from '../schemas';

/**
 * The auditor's view and the statistics (issue 6), all served by the query service:
 * - GET /api/v1/tickets/{id}/verify — the hash chain checked against the stream head and the latest
 *   anchor → {intact, checkedEvents, firstBadRevision?, reason?, stream, lastRevision, anchor?} (auditors);
 * - GET /api/v1/tickets/{id}/replay?revision=N|at=<instant> — the events up to that point and the state
 *   evolved from them (the same answer as /history?revision=…|at=…, see {@link replayIfAsked});
 * - GET /api/v1/audit/verify?division=&after=&limit= — a page of verifications (auditors);
 * - GET /api/v1/audit/export?division=&from=&to=&unmasked=&reason=&after=&limit=&disclosure= — a page
 *   of events for an export; an unmasked export is recorded before it is served (auditors);
 * - GET /api/v1/stats?division=&from=&to=&groupBy=unit|county|handler|category — received, closed,
 *   close rate, on-time rates, open and overdue now, medians, satisfaction (supervisors: their
 *   subtree; auditors: all; others 403).
 * - GET /api/v1/stats/export.csv|.jsonl?division=&from=&to= — the per-ticket lifecycle timestamps behind those
 *   figures (issue 14 item 7), CSV formula-escaped.
 * Who may do what is decided by the query service (403 problem+json from its PERMISSION_DENIED).
 */

const DIVISION = { type: 'string', pattern: '^[0-9]{4,12}$', description: 'Division code (its subtree).' };
const INSTANT = {
  type: 'string', maxLength: 40, pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2}))?$',
  description: 'YYYY-MM-DD (midnight Asia/Shanghai) or an ISO-8601 instant with an offset.',
};
const TICKET_ID = { type: 'string', pattern: '^[0-9a-fA-F-]{36}$' };

/** Query string of the replay (and of /history, see {@link replayIfAsked}). */
export const replayQuerystring: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    revision: digits(9, "Replay up to and including this revision; beyond the ticket's last: 404 revision_not_found. "
      + 'With `at` as well: the events within both bounds.', 'tongban.query.v1.ReplayTicketRequest.revision'),
    at: { ...INSTANT, description: 'Replay the events that occurred at or before this instant (ISO-8601 with offset); before the first event: revision -1, no events.' },
  },
};

/** The replay query parameters. */
export interface ReplayQuery {
  revision?: string;
  at?: string;
}

/**
 * When the request asks for a point (`?revision=N` and/or `?at=<instant>`), the replay
 * `{id, revision, state, events}`; otherwise undefined (serve the plain history). For the /history
 * route: `const replayed = await replayIfAsked(ctx, request); if (replayed) return replayed;`
 * Both given: the events within both bounds (revision ≤ N and occurredAt ≤ at), as documented in docs/audit.md.
 * @throws ServiceError (mapped to problem+json): 400 invalid_replay_point, 403, 404 (ticket_not_found;
 *   revision_not_found: a revision beyond the ticket's last).
 */
export async function replayIfAsked(
  ctx: GatewayContext, request: FastifyRequest<{ Params: { id: string }; Querystring: ReplayQuery }>,
): Promise<Record<string, unknown> | undefined> {
  const { revision, at } = request.query ?? {};
  if (revision === undefined && at === undefined) return undefined;
  return replay(ctx, request, revision, at);
}

/** Calls ReplayTicket (no revision and no instant: the whole stream) and shapes the answer. */
async function replay(ctx: GatewayContext, request: FastifyRequest<{ Params: { id: string } }>, revision?: string, at?: string): Promise<Record<string, unknown>> {
  const res = await unaryCall(ctx.clients.query, ctx.clients.query.replayTicket, {
    ticketId: request.params.id, ...(revision !== undefined ? { revision: Number(revision) } : {}), at: at ?? '',
  }, callContext(request), ctx.callTimeoutMs);
  const events = parseUpstreamJson(res.eventsJson, 'history');
  return { id: request.params.id, revision: res.revision, state: parseUpstreamJson(res.stateJson, 'replayed state'), events: Array.isArray(events) ? events : [] };
}

/** Registers the audit and statistics routes. */
export function registerAuditRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { clients, callTimeoutMs } = ctx;

  app.get<{ Params: { id: string } }>('/api/v1/tickets/:id/verify', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['audit'],
      summary: "Verify a ticket's hash chain (auditors)",
      description: 'Recomputes every hash, checks the links, the stream head row and the latest anchor, so that an altered, removed, '
        + 'reordered or truncated event — or a deleted stream — is detected. firstBadRevision names where.',
      security: bearerSecurity,
      params: ticketIdParams,
      response: {
        200: {
          type: 'object',
          required: ['intact', 'checkedEvents'],
          properties: {
            intact: { type: 'boolean' }, checkedEvents: { type: 'integer' }, firstBadRevision: { type: 'integer' }, reason: { type: 'string' },
            stream: { type: 'string' }, lastRevision: { type: 'integer' },
            anchor: { type: 'object', properties: { anchorRevision: { type: 'integer' }, revision: { type: 'integer' }, hash: { type: 'string' }, recordedAt: { type: 'string' } } },
          },
        },
        ...problemResponses(401, 403, 404, 503),
      },
    },
  }, async (request) => {
    const res = await unaryCall(clients.query, clients.query.verifyTicket, { ticketId: request.params.id }, callContext(request), callTimeoutMs);
    return {
      intact: res.intact, checkedEvents: res.checkedEvents,
      ...(res.firstBadRevision !== undefined ? { firstBadRevision: res.firstBadRevision } : {}), ...(res.reason ? { reason: res.reason } : {}),
      stream: res.stream, lastRevision: res.lastRevision, ...(res.anchor ? { anchor: res.anchor } : {}),
    };
  });

  app.get<{ Params: { id: string }; Querystring: ReplayQuery }>('/api/v1/tickets/:id/replay', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['audit'],
      summary: 'Replay a ticket to a revision or an instant',
      description: "The events up to that point and the ticket's state evolved from them with the live decider. Same readers as the history. "
        + 'Without revision and at: the whole history replayed.',
      security: bearerSecurity,
      params: ticketIdParams,
      querystring: replayQuerystring,
      response: { 200: openObjectSchema, ...problemResponses(400, 401, 403, 404, 503) },
    },
  }, async (request, reply) => {
    const replayed = await replay(ctx, request, request.query.revision, request.query.at);
    if (typeof replayed['revision'] === 'number' && replayed['revision'] >= 0) setEtag(reply, replayed['revision']);
    return replayed;
  });

  app.get<{ Querystring: { division?: string; after?: string; limit?: string } }>('/api/v1/audit/verify', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['audit'],
      summary: 'Verify the tickets of a division, a page at a time (auditors)',
      description: 'In ticket id order; pass nextAfter as after for the next page. Deleted streams the read model or an anchor still knows are reported.',
      security: bearerSecurity,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { division: DIVISION, after: TICKET_ID, limit: digits(4, 'Page size.', 'tongban.query.v1.VerifyTicketsRequest.limit') },
      },
      response: { 200: openObjectSchema, ...problemResponses(400, 401, 403, 404, 503) },
    },
  }, async (request) => {
    const q = request.query;
    const res = await unaryCall(clients.query, clients.query.verifyTickets, {
      division: q.division ?? '', afterTicketId: q.after ?? '', limit: Number(q.limit ?? 0),
    }, callContext(request), callTimeoutMs);
    const results = parseUpstreamJson(res.resultsJson, 'verification');
    return { results: Array.isArray(results) ? results : [], ...(res.nextAfterTicketId ? { nextAfter: res.nextAfterTicketId } : {}), total: res.totalTickets };
  });

  app.get<{ Querystring: { division: string; from?: string; to?: string; unmasked?: string; reason?: string; format?: string; after?: string; limit?: string; disclosure?: string } }>('/api/v1/audit/export', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['audit'],
      summary: "Export a division's events, a page at a time (auditors)",
      description: 'Events recorded in [from, to) of the tickets of a division, one flat row per event, personal data masked. '
        + 'unmasked=true needs a reason and is recorded (PersonalDataDisclosed) before the first page; later pages pass disclosure=<disclosureId>.',
      security: bearerSecurity,
      querystring: {
        type: 'object', additionalProperties: false, required: ['division'],
        properties: {
          division: DIVISION, from: INSTANT, to: INSTANT, unmasked: { type: 'string', enum: ['true', 'false'] },
          reason: { type: 'string', maxLength: 500 }, format: { type: 'string', enum: ['ndjson', 'csv', 'json'] },
          after: { type: 'string', maxLength: 64, pattern: '^ticket-[0-9a-fA-F-]{36}$' }, limit: digits(4, 'Page size.', 'tongban.query.v1.ExportEventsRequest.limit'),
          disclosure: TICKET_ID,
        },
      },
      response: { 200: openObjectSchema, ...problemResponses(400, 401, 403, 404, 503) },
    },
  }, async (request) => {
    const q = request.query;
    const res = await unaryCall(clients.query, clients.query.exportEvents, {
      division: q.division, from: q.from ?? '', to: q.to ?? '', unmasked: q.unmasked === 'true', reason: q.reason ?? '',
      afterStream: q.after ?? '', afterRevision: 0, limit: Number(q.limit ?? 0), format: q.format ?? 'json', disclosureId: q.disclosure ?? '',
    }, callContext(request), callTimeoutMs);
    const events = parseUpstreamJson(res.eventsJson, 'export');
    return {
      events: Array.isArray(events) ? events : [],
      ...(res.nextAfterStream ? { nextAfter: res.nextAfterStream } : {}), ...(res.disclosureId ? { disclosureId: res.disclosureId } : {}),
    };
  });

  app.get<{ Querystring: { division?: string; from?: string; to?: string; groupBy?: string } }>('/api/v1/stats', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['audit'],
      summary: 'Statistics (supervisors: their jurisdiction; auditors: everything)',
      description: 'For tickets submitted in [from, to) in a division subtree, overall and per group: received, closed, closeRate, '
        + 'firstRepliesOnTime and resolutionsOnTime ({count, of, rate}), openNow, overdueNow, medianHoursToFirstReply, '
        + 'medianHoursToResolution, satisfaction ({average, rated}).',
      security: bearerSecurity,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { division: DIVISION, from: INSTANT, to: INSTANT, groupBy: { type: 'string', enum: ['unit', 'county', 'handler', 'category', 'none'] } },
      },
      response: { 200: openObjectSchema, ...problemResponses(400, 401, 403, 404, 503) },
    },
  }, async (request) => {
    const q = request.query;
    const res = await unaryCall(clients.query, clients.query.getStats, {
      division: q.division ?? '', from: q.from ?? '', to: q.to ?? '', groupBy: q.groupBy ?? '',
    }, callContext(request), callTimeoutMs);
    return asObject(parseUpstreamJson(res.statsJson, 'statistics'), 'stats');
  });

  // Issue 14 item 7: the statistics exports — per-ticket lifecycle timestamps of the tickets the figures count.
  for (const format of ['csv', 'jsonl'] as const) {
    app.get<{ Querystring: { division?: string; from?: string; to?: string } }>(`/api/v1/stats/export.${format}`, {
      onRequest: ctx.auth.required,
      schema: {
        tags: ['audit'],
        summary: `Statistics export as ${format === 'csv' ? 'CSV' : 'JSON Lines'}: one row per ticket with its lifecycle timestamps (issue 14 item 7)`,
        description: 'Supervisors (their jurisdiction) and auditors; the tickets of `GET /api/v1/stats` for the same division and range. Columns: '
          + 'ticketId, reference, division, serviceCode, urgencyClass, requestType, status, closedBy, accountableUnitId, holderUnitId, receivedAt, '
          + 'routedAt, signedForAt, firstReplyAt, firstResponseDueAt, deadlineAnnouncedAt, resolutionDueAt, resolvedAt, callbackAt, closedAt, '
          + 'reopenedAt, rating, returns, signForMissed, rectifications, followers, merged, mergedInto (UTC ISO-8601 instants; empty/null: did not happen). '
          + 'No reporter\'s identity, contact or free text. '
          + (format === 'csv'
            ? 'CSV: RFC 4180, CRLF, UTF-8 with a byte order mark; a cell a spreadsheet would run as a formula (starting with = + - @, tab or CR) is prefixed with \'.'
            : 'JSON Lines: one object per line.')
          + ' Header `Tongban-Export-Rows`: the number of tickets; `Tongban-Export-Truncated: true` when the range held more than 100,000.',
        security: bearerSecurity,
        querystring: { type: 'object', additionalProperties: false, properties: { division: DIVISION, from: INSTANT, to: INSTANT } },
        response: { 200: { description: format === 'csv' ? 'text/csv' : 'application/jsonl', type: 'string' }, ...problemResponses(400, 401, 403, 404, 503) },
      },
    }, async (request, reply) => {
      const q = request.query;
      const res = await unaryCall(clients.query, clients.query.exportStats, {
        division: q.division ?? '', from: q.from ?? '', to: q.to ?? '', format,
      }, callContext(request), callTimeoutMs);
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/jsonl; charset=utf-8')
        .header('content-disposition', `attachment; filename="tongban-stats${q.division ? `-${q.division}` : ''}.${format}"`)
        .header('cache-control', 'no-store')
        .header('tongban-export-rows', String(res.rows))
        .header('tongban-export-truncated', String(res.truncated))
        .send(res.body);
    });
  }
}

import { type intake, query } from '@tongban/contracts';
import { MAX_TEXT_LENGTH } from '@tongban/domain';
import type { FastifyInstance } from 'fastify';
import { parseUpstreamJson } from '../context';
import { unaryCall } from '../grpc-clients';
import { grpcReason, isGrpcError } from '../problem';
import {
  type Open311Context, checkJurisdiction, formParams, languageOf, publicCall, queryParams, requestView, sendDocument, requestIdProblems, verifiedClient,
} from './context';
import { open311Errors } from './errors';
import { OPEN311_FORMATS, list } from './format';
import { type TicketUpdateForOpen311, updateElement, updateId } from './mapping';
import { type Open311Params, deviceIdParam, parseW3cDatetime } from './params';
import { FIELD_LIMITS, checkText, isHttpUrl } from './submission';

/** Default span of GET servicerequestupdates without start_date: the last 24 hours before end_date. */
const DEFAULT_UPDATES_HOURS = 24;

/** Most updates one GET servicerequestupdates answers (oldest first: page on by start_date). */
const MAX_UPDATES = 1000;

/** Statuses a POST servicerequestupdates may carry (FixMyStreet's extended statuses, either case). */
const UPDATE_STATUSES = [
  'OPEN', 'CLOSED', 'FIXED', 'IN_PROGRESS', 'ACTION_SCHEDULED', 'INVESTIGATING', 'DUPLICATE',
  'NOT_COUNCILS_RESPONSIBILITY', 'NO_FURTHER_ACTION', 'INTERNAL_REFERRAL', 'REOPEN',
] as const;

/** Parameters of POST servicerequestupdates that take one value (given twice: 400, see Open311Params.repeated). */
const POST_SINGLE_VALUED = [
  'api_key', 'jurisdiction_id', 'service_request_id', 'description', 'status', 'updated_datetime', 'update_id', 'media_url',
  'device_id', 'deviceid', 'account_id',
] as const;

/** Parameters of GET servicerequestupdates that take one value. */
const GET_SINGLE_VALUED = ['jurisdiction_id', 'start_date', 'end_date'] as const;

/** Statuses by which a reporter says the problem is fixed (closes a resolved request). */
const CLOSING = new Set(['CLOSED', 'FIXED']);

/** What a reporter's update does to a request in a status. */
type ReporterAction = 'close' | 'reopen' | 'addInformation';

/**
 * A reporter's update (POST servicerequestupdates) as a follow-up command: on a resolved request,
 * CLOSED/FIXED confirms it (close) and any other status reopens it; on a request still being handled
 * the description is added information. (A closed request refuses both: 400.)
 */
function reporterAction(ticketStatus: string, updateStatus: string): ReporterAction {
  if (ticketStatus !== 'resolved') return 'addInformation';
  return CLOSING.has(updateStatus) ? 'close' : 'reopen';
}

/**
 * Reads GET servicerequestupdates' range: start_date and end_date (W3C datetimes with an offset, each
 * given once); end_date defaults to now, start_date to 24 hours before end_date.
 * @throws Open311Error 400.
 */
function readUpdatesRange(params: Open311Params, now: Date): { from: string; to: string } {
  const errors = params.repeated(GET_SINGLE_VALUED);
  const date = (name: string) => {
    const raw = params.get(name);
    if (raw === undefined) return undefined;
    const parsed = parseW3cDatetime(raw);
    if (!parsed) errors.push(`${name} must be a W3C datetime with a time zone, e.g. 2026-03-01T00:00:00+08:00, not ${raw}`);
    return parsed;
  };
  const start = date('start_date');
  const end = date('end_date');
  // Without fractions, end_date includes its whole second (datetimes are served to the second).
  const to = end ? (end.fractional ? end.ms : end.ms + 999) : now.getTime();
  const from = start ? start.ms : to - DEFAULT_UPDATES_HOURS * 3_600_000;
  if (start && end && start.ms > end.ms) errors.push('start_date must not be after end_date');
  if (errors.length > 0) throw open311Errors.badRequest(...errors);
  return { from: new Date(Math.max(from, 0)).toISOString(), to: new Date(Math.max(to, 0)).toISOString() };
}

/**
 * GET servicerequestupdates.{xml,json} (FixMyStreet "Open311 FMS" extension): the public changes in
 * [start_date, end_date], oldest first, at most 1000 (extension: `service_request_id` comma list).
 * POST servicerequestupdates.{xml,json}: a reporter's follow-up through the client that submitted the
 * request (api_key; service_request_id, description required; status, updated_datetime, update_id,
 * media_url optional).
 */
export function registerUpdateRoutes(app: FastifyInstance, ctx: Open311Context): void {
  const { clients, callTimeoutMs } = ctx.gateway;
  for (const format of OPEN311_FORMATS) {
    app.get(`/v2/servicerequestupdates.${format}`, {
      schema: {
        tags: ['open311'], summary: `Service request updates (${format.toUpperCase()})`,
        description: 'start_date, end_date (W3C; default the 24 hours up to now), service_request_id (comma list of at most 200). Oldest first, at most 1000: continue from the last updated_datetime.',
      },
    }, async (request, reply) => {
      const params = queryParams(request);
      checkJurisdiction(params, ctx);
      const range = readUpdatesRange(params, ctx.gateway.platformClock.now());
      const ticketIds = params.list('service_request_id');
      const idProblems = requestIdProblems(ticketIds);
      if (idProblems.length > 0) throw open311Errors.badRequest(...idProblems);
      const res = await unaryCall(clients.query, clients.query.listTicketUpdates, query.ListTicketUpdatesRequest.fromPartial({
        from: range.from, to: range.to, ticketIds, limit: MAX_UPDATES,
      }), await publicCall(ctx, request), callTimeoutMs);
      const updates = parseUpstreamJson(res.updatesJson, 'update list');
      const lang = languageOf(request);
      const elements = (Array.isArray(updates) ? updates as TicketUpdateForOpen311[] : []).map((u) => updateElement(u, ctx.ref, lang));
      return sendDocument(reply, format, 'service_request_updates', list('request_update', elements), lang);
    });

    app.post(`/v2/servicerequestupdates.${format}`, {
      // Limited per client application once its api_key is verified (see verifiedClient), not per IP.
      config: { rateLimit: false },
      schema: {
        tags: ['open311'], summary: `Post a reporter's update (${format.toUpperCase()})`,
        description: 'application/x-www-form-urlencoded: api_key, service_request_id, description (≤ 4000 characters), status (OPEN, CLOSED, FIXED, REOPEN…), updated_datetime, update_id, media_url. Only the client application that submitted the request may post for its reporter: on a resolved request CLOSED/FIXED confirms, another status reopens; otherwise the description is added information.',
      },
    }, async (request, reply) => {
      const params = formParams(request);
      const clientId = await verifiedClient(ctx, request, params.get('api_key'));
      checkJurisdiction(params, ctx);
      const errors = params.repeated(POST_SINGLE_VALUED);
      const id = params.get('service_request_id');
      if (id === undefined) errors.push('service_request_id is required');
      else errors.push(...requestIdProblems([id]));
      const description = params.get('description');
      if (description === undefined || description.trim() === '') errors.push('description is required');
      else errors.push(...checkText('description', description, MAX_TEXT_LENGTH));
      const statusText = (params.get('status') ?? 'OPEN').trim().toUpperCase();
      if (!(UPDATE_STATUSES as readonly string[]).includes(statusText)) errors.push(`status must be one of ${UPDATE_STATUSES.join(', ')}`);
      const updated = params.get('updated_datetime');
      if (updated !== undefined && !parseW3cDatetime(updated)) errors.push('updated_datetime must be a W3C datetime with a time zone');
      const updateIdText = params.get('update_id');
      if (updateIdText !== undefined) errors.push(...checkText('update_id', updateIdText, 128));
      const mediaUrl = params.get('media_url');
      if (mediaUrl !== undefined) errors.push(...checkText('media_url', mediaUrl, FIELD_LIMITS.media_url));
      if (mediaUrl !== undefined && !isHttpUrl(mediaUrl)) errors.push('media_url must be an http or https URL');
      const { deviceId, errors: deviceErrors } = deviceIdParam(params);
      errors.push(...deviceErrors);
      if (deviceId !== undefined) errors.push(...checkText('device_id', deviceId, FIELD_LIMITS.device_id));
      if (errors.length > 0 || id === undefined || description === undefined) throw open311Errors.badRequest(...errors);

      const token = await ctx.callers.clientToken(clientId, request.id, deviceId);
      const call = { token, correlationId: request.id };
      const view = await requestView(ctx, id, call);
      const text = mediaUrl ? `${description}\n${mediaUrl}` : description;
      const action = reporterAction(view.status, statusText);
      const command: intake.ExecuteReporterCommandRequest['command'] = action === 'close'
        ? { $case: 'close', value: { reason: text } }
        : action === 'reopen' ? { $case: 'reopen', value: { reason: text } } : { $case: 'addInformation', value: { text } };
      // The client's update_id makes the post idempotent: intake derives the event ids from (client,
      // request, update_id), so a repeat writes nothing and answers the update_id of the first write.
      const res = await unaryCall(clients.intake, clients.intake.executeReporterCommand, {
        ticketId: view.id, clientUpdateId: updateIdText ?? '', command,
      }, call, callTimeoutMs).catch((err: unknown) => {
        // intake's text names the REST API's header (Idempotency-Key); this client sent an update_id.
        if (isGrpcError(err) && grpcReason(err) === 'idempotency_key_reused') {
          throw open311Errors.badRequest(`update_id ${JSON.stringify(updateIdText ?? '')} was used for another update of this request (another description); post a new update with a new update_id`);
        }
        throw err;
      });
      const account = params.get('account_id');
      return sendDocument(reply, format, 'service_request_updates', list('request_update', [{
        update_id: updateId(view.id, res.outcome?.revision ?? 0),
        ...(account ? { account_id: account } : {}),
      }]));
    });
  }
}

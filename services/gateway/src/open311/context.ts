import { status } from '@grpc/grpc-js';
import type { ReferenceData } from '@tongban/reference-data';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type GatewayContext, parseUpstreamJson } from '../context';
import { type CallContext, unaryCall } from '../grpc-clients';
import { isGrpcError } from '../problem';
import type { Open311Callers } from './callers';
import type { Open311Config } from './config';
import type { Open311Limits } from '../rate-limit';
import { Open311Error, open311Errors, renderErrors } from './errors';
import { type Open311Format, type Open311Value, render } from './format';
import { CONTENT_LANGUAGE, type Open311Language, preferredLanguage } from './locale';
import type { TicketViewForOpen311 } from './mapping';
import { Open311Params } from './params';
import { charsetOf, decodeForm, queryBytes, strictDecoder, textProblem } from '../text';

/** What the Open311 route modules share. */
export interface Open311Context {
  gateway: GatewayContext;
  config: Open311Config;
  /** Reference data (catalogue, divisions, units): the same files the services load. */
  ref: ReferenceData;
  callers: Open311Callers;
  /** Rate limits of POSTs (per client application once its api_key is verified). */
  limits: Open311Limits;
}

/** Sends an Open311 document (200 unless told), in the request's language. */
export function sendDocument(
  reply: FastifyReply, format: Open311Format, root: string, value: Open311Value, lang?: Open311Language,
): FastifyReply {
  const { body, contentType } = render(format, root, value);
  if (lang) reply.header('content-language', CONTENT_LANGUAGE[lang]).header('vary', 'Accept-Language');
  return reply.code(200).type(contentType).send(body);
}

/** Sends an Open311 errors document with its HTTP status and headers. */
export function sendErrors(reply: FastifyReply, format: Open311Format, error: Open311Error): FastifyReply {
  const { body, contentType } = renderErrors(format, error);
  return reply.code(error.status).headers(error.extras.headers ?? {}).type(contentType).send(body);
}

/** The language a request asks for. */
export function languageOf(request: FastifyRequest): Open311Language {
  return preferredLanguage(request.headers['accept-language']);
}

/**
 * Decodes form bytes, or throws every refused parameter at once (one rule for every parameter, query
 * or body: valid text in its charset, no control characters — NUL included —, no unpaired surrogates).
 * @throws Open311Error 400 naming each parameter; 400 with code 415 for an unknown charset.
 */
function decodeOrThrow(bytes: Uint8Array, charset?: string): [string, string][] {
  if (charset !== undefined && !strictDecoder(charset)) {
    throw new Open311Error(400, [{ code: 415, description: `charset ${charset} is not supported; send UTF-8 (or another WHATWG encoding such as GB18030)` }]);
  }
  const { pairs, problems } = decodeForm(bytes, charset);
  if (problems.length > 0) throw open311Errors.badRequest(...problems.map((p) => `${p.field} ${p.problem}`));
  return pairs;
}

/**
 * The query string parameters of a request (always UTF-8, as URLs are).
 * @throws Open311Error 400 naming each parameter that is not valid text (see decodeOrThrow).
 */
export function queryParams(request: FastifyRequest): Open311Params {
  return new Open311Params(decodeOrThrow(queryBytes(request.url)));
}

/**
 * The parameters of a POST: the form body's, decoded in the charset its Content-Type declares (UTF-8
 * when none: correct decoding of GB18030, ISO-8859-1… rather than guessing), then the query string's
 * (the body wins). An api_key is only taken from the body: a key in a URL ends up in logs and proxies.
 * @throws Open311Error 400 when the query string carries an api_key, or naming each parameter that is
 * not valid text; 400 with code 415 for an unknown charset.
 */
export function formParams(request: FastifyRequest): Open311Params {
  const query = queryParams(request);
  if (query.names().includes('api_key')) throw open311Errors.badRequest('api_key must be sent in the form body, not in the URL');
  const body = Buffer.isBuffer(request.body) ? decodeOrThrow(request.body, charsetOf(request.headers['content-type'])) : [];
  return new Open311Params([...body, ...query.entries()]);
}

/** Most service_request_id one GET may name (requests, servicerequestupdates): 200 ids keep the URL near 7.5 KB. */
export const MAX_REQUEST_IDS = 200;

/** What a service_request_id looks like (the platform's ticket ids; the same rule as the REST `{id}`). */
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Problems of service_request_id values (one rule wherever the parameter appears: query, form or path):
 * each 1–64 letters, digits, `-` or `_`; at most {@link MAX_REQUEST_IDS} of them. Nothing else reaches
 * a service (a NUL once reached PostgreSQL). Values are quoted as JSON, so nothing invisible is echoed.
 */
export function requestIdProblems(ids: readonly string[]): string[] {
  const problems: string[] = [];
  if (ids.length > MAX_REQUEST_IDS) {
    problems.push(`at most ${MAX_REQUEST_IDS} service_request_id may be given in one request (${ids.length} were); ask in several requests`);
  }
  const bad = ids.filter((id) => !REQUEST_ID.test(id));
  if (bad.length > 0) {
    problems.push(`service_request_id must be 1 to 64 letters, digits, - or _, not ${bad.slice(0, 3).map((b) => JSON.stringify(b.slice(0, 80))).join(', ')}${bad.length > 3 ? ' …' : ''}`);
  }
  return problems;
}

/**
 * Checks a path segment parameter (service_request_id, token) by the same rule as query and form
 * parameters: text without forbidden characters.
 * @throws Open311Error 400 naming the parameter.
 */
export function checkPathParam(name: string, value: string): void {
  const problem = textProblem(value);
  if (problem) throw open311Errors.badRequest(`${name} ${problem}`);
}

/**
 * Checks `jurisdiction_id` when given (GeoReport v2: optional for a single-jurisdiction endpoint).
 * @throws Open311Error 404 for another jurisdiction.
 */
export function checkJurisdiction(params: Open311Params, ctx: Open311Context): void {
  const given = params.get('jurisdiction_id');
  if (given !== undefined && given.trim().toLowerCase() !== ctx.config.jurisdictionId.toLowerCase()) {
    throw open311Errors.notFound(`jurisdiction_id ${given} was not found (this endpoint serves ${ctx.config.jurisdictionId})`);
  }
}

/**
 * The client application of a POST's api_key, within the rate limits: an IP with too many failed
 * verifications is refused before the key is checked, a verified client is counted per client id.
 * @throws Open311Error 403 (key missing, unknown or revoked); HttpProblem 429 (rate limited).
 */
export async function verifiedClient(ctx: Open311Context, request: FastifyRequest, apiKey: string | undefined): Promise<string> {
  await ctx.limits.beforeVerify(request);
  let clientId: string;
  try {
    clientId = await ctx.callers.clientOf(apiKey, request.id);
  } catch (err) {
    if (err instanceof Open311Error && err.status === 403) await ctx.limits.failedVerification(request);
    throw err;
  }
  await ctx.limits.verified(request, clientId);
  return clientId;
}

/** The call context of an anonymous Open311 read: the cached `public` token and the correlation id. */
export async function publicCall(ctx: Open311Context, request: FastifyRequest): Promise<CallContext> {
  return { token: await ctx.callers.publicToken(request.id), correlationId: request.id };
}

/**
 * The query view of a service request.
 * @throws Open311Error 404 when the query service knows no such request (or answers without a view).
 */
export async function requestView(ctx: Open311Context, id: string, call: CallContext): Promise<TicketViewForOpen311> {
  const { clients, callTimeoutMs } = ctx.gateway;
  const notFound = () => open311Errors.notFound(`service_request_id ${id} was not found`);
  const res = await unaryCall(clients.query, clients.query.getTicket, { ticketId: id }, call, callTimeoutMs).catch((err: unknown) => {
    if (isGrpcError(err) && err.code === status.NOT_FOUND) throw notFound();
    throw err;
  });
  const view = parseUpstreamJson(res.viewJson, 'ticket view') as TicketViewForOpen311 | null;
  if (!view || typeof view !== 'object') throw notFound();
  return view;
}

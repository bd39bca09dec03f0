import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { type Language, i18nInstance, translator } from '@tongban/i18n';
import { REASON_KEY } from '@tongban/runtime';

/**
 * The one place where errors become HTTP answers: every error of the gateway is an
 * `application/problem+json` document (RFC 9457) with the machine-readable `reason` as an extension.
 *
 * gRPC status → HTTP status (reason from the `tongban-reason` trailer):
 * INVALID_ARGUMENT 400 · UNAUTHENTICATED 401 · PERMISSION_DENIED 403 · NOT_FOUND 404 ·
 * ALREADY_EXISTS 409, or 422 when the reason starts with `idempotency` (an Idempotency-Key reused with
 * another body, as the IETF Idempotency-Key draft suggests) · FAILED_PRECONDITION 409 ·
 * ABORTED 412 when the reason is `revision_mismatch` and the request carried If-Match, else 409 ·
 * RESOURCE_EXHAUSTED with reason too_many_attempts (identity's sign-in throttle) 429 with the trailer
 * `retry-after` as Retry-After · UNAVAILABLE 503 · DEADLINE_EXCEEDED 504 · anything else 500 (no internals).
 */

/** Media type of every error response. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Prefix of problem type URIs: `urn:tongban:problem:<reason>`. */
const PROBLEM_TYPE_PREFIX = 'urn:tongban:problem:';

/** One schema violation, as reported in the `errors` extension of a 400 problem. */
export interface ProblemFieldError {
  /** Where: `body`, `querystring`, `params` or `headers`, then a JSON pointer (e.g. `body/title`). */
  location: string;
  message: string;
}

/** An RFC 9457 problem document with Tongban's extensions. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Machine-readable reason, e.g. `not_holder`, `revision_mismatch`, `validation_failed`. */
  reason: string;
  /** The request path. */
  instance?: string;
  /** The request's correlation id (also in the `x-correlation-id` response header). */
  correlationId?: string;
  /** Schema violations, for `validation_failed`. */
  errors?: ProblemFieldError[];
}

/** A failure that the gateway itself raises, already carrying its HTTP status and reason. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly reason: string,
    detail: string,
    readonly extras: { errors?: ProblemFieldError[]; headers?: Record<string, string>; cause?: unknown; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail, extras.cause === undefined ? undefined : { cause: extras.cause });
  }
  /** The machine-readable code (same as `reason`). */
  get code(): string {
    return this.reason;
  }
}

/** Shorthands for the gateway's own problems. */
export const problems = {
  unauthenticated: (detail = 'a bearer token is required') =>
    new HttpProblem(401, 'unauthenticated', detail, { headers: { 'www-authenticate': 'Bearer' } }),
  invalidToken: (detail: string, cause?: unknown) =>
    new HttpProblem(401, 'invalid_token', detail, { headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, cause }),
  /** A signed-in person acting in no ticket role (none held, or a one-time password still to change). */
  roleRequired: () => new HttpProblem(403, 'role_required', 'this token acts in no role: select a role (POST /api/v1/auth/refresh {roleId})'),
  badRequest: (reason: string, detail: string) => new HttpProblem(400, reason, detail),
  notFound: (detail: string) => new HttpProblem(404, 'not_found', detail),
  badUpstream: (detail: string, cause?: unknown) => new HttpProblem(502, 'bad_upstream_response', detail, { cause }),
};

/** Context of the failed request that changes the mapping. */
export interface ProblemContext {
  /** True when the request carried an If-Match header (ABORTED revision_mismatch → 412, not 409). */
  ifMatchSent: boolean;
}

/** The outcome of mapping an error: the document, extra headers, and whether it is our fault (log it). */
export interface MappedProblem {
  problem: ProblemDocument;
  headers: Record<string, string>;
  /** True for 5xx answers (logged with their internals, which are never sent). */
  serverError: boolean;
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 412: 'Precondition Failed', 413: 'Content Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/**
 * The `title` of a problem for people, from the catalogues (packages/i18n) in `language`: the text of
 * its reason (`problem.reason.<reason>`) where there is one, else of its status (`problem.status.<status>`),
 * else the English status phrase.
 */
export function localizedTitle(httpStatus: number, reason: string, language: Language): string {
  const i18n = i18nInstance();
  for (const key of [`problem.reason.${reason}`, `problem.status.${httpStatus}`]) {
    if (i18n.exists(key, { lng: language, fallbackLng: false })) return translator(language)(key);
  }
  return TITLES[httpStatus] ?? (httpStatus >= 500 ? 'Server Error' : 'Client Error');
}

/** Builds a problem document (title from the status; `sendProblem` puts it in the request's language). */
export function problemDocument(httpStatus: number, reason: string, detail: string, extras: Partial<ProblemDocument> = {}): ProblemDocument {
  return {
    type: `${PROBLEM_TYPE_PREFIX}${reason}`,
    title: TITLES[httpStatus] ?? (httpStatus >= 500 ? 'Server Error' : 'Client Error'),
    status: httpStatus,
    detail,
    reason,
    ...extras,
  };
}

/** True when `err` is an error returned by a @grpc/grpc-js call. */
export function isGrpcError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && (err as Partial<ServiceError>).metadata instanceof Metadata;
}

/** The `tongban-reason` of a gRPC error, if the service sent one. */
export function grpcReason(err: ServiceError): string | undefined {
  const value = err.metadata.get(REASON_KEY)[0];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** HTTP status and fallback reason for a gRPC status code (see the module comment). */
function httpStatusOfGrpc(code: status, reason: string | undefined, ctx: ProblemContext): number {
  switch (code) {
    case status.INVALID_ARGUMENT: return 400;
    case status.UNAUTHENTICATED: return 401;
    case status.PERMISSION_DENIED: return 403;
    case status.NOT_FOUND: return 404;
    case status.ALREADY_EXISTS: return reason?.startsWith('idempotency') ? 422 : 409;
    case status.FAILED_PRECONDITION: return 409;
    case status.ABORTED: return reason === 'revision_mismatch' && ctx.ifMatchSent ? 412 : 409;
    case status.RESOURCE_EXHAUSTED: return reason === 'too_many_attempts' ? 429 : 500;
    case status.UNAVAILABLE: return 503;
    case status.DEADLINE_EXCEEDED: return 504;
    default: return 500;
  }
}

const DEFAULT_GRPC_REASONS: Partial<Record<status, string>> = {
  [status.INVALID_ARGUMENT]: 'invalid_argument',
  [status.UNAUTHENTICATED]: 'unauthenticated',
  [status.PERMISSION_DENIED]: 'forbidden',
  [status.NOT_FOUND]: 'not_found',
  [status.ALREADY_EXISTS]: 'already_exists',
  [status.FAILED_PRECONDITION]: 'failed_precondition',
  [status.ABORTED]: 'conflict',
  [status.RESOURCE_EXHAUSTED]: 'too_many_requests',
};

function fromGrpc(err: ServiceError, ctx: ProblemContext): MappedProblem {
  const sentReason = grpcReason(err);
  const httpStatus = httpStatusOfGrpc(err.code, sentReason, ctx);
  if (httpStatus === 503) {
    return { problem: problemDocument(503, 'unavailable', 'a backing service is unavailable; retry later'), headers: { 'retry-after': '1' }, serverError: true };
  }
  if (httpStatus === 504) {
    return { problem: problemDocument(504, 'timeout', 'a backing service did not answer in time'), headers: {}, serverError: true };
  }
  if (httpStatus >= 500) return internal();
  const reason = sentReason ?? DEFAULT_GRPC_REASONS[err.code] ?? 'error';
  // `details` is the service's message for the failure (business rejections are written for people).
  const detail = err.details || reason;
  const headers: Record<string, string> = httpStatus === 401 ? { 'www-authenticate': 'Bearer' } : {};
  // A throttled call (identity's sign-in): the service's wait in seconds, trailer `retry-after`.
  const retryAfter = httpStatus === 429 ? err.metadata.get('retry-after')[0] : undefined;
  if (typeof retryAfter === 'string' && /^\d+$/.test(retryAfter)) headers['retry-after'] = retryAfter;
  return { problem: problemDocument(httpStatus, reason, detail), headers, serverError: false };
}

/** What the gateway reads of an error fastify raises (parsing, validation, limits): its code, HTTP status, message and schema violations. */
export interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: { keyword?: string; instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

const FASTIFY_REASONS: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_NOT_FOUND: 'not_found',
};

/** Integer formats of the schemas (ajv-formats): the width of the protobuf field the value travels in. */
const INTEGER_FORMATS: ReadonlySet<unknown> = new Set(['int32', 'int64']);

/**
 * `<field>_out_of_range` when a violation is an integer outside its wire type (`format: int32|int64`,
 * e.g. a rating score of 2^31: `score_out_of_range`, the reason the service gives for 6), else undefined.
 */
function outOfRangeReason(violations: NonNullable<FastifyLikeError['validation']>): string | undefined {
  const v = violations.find((x) => x.keyword === 'format' && INTEGER_FORMATS.has(x.params?.['format']));
  const field = v?.instancePath?.split('/').pop();
  return field && /^[A-Za-z][A-Za-z0-9_]*$/.test(field) ? `${field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_out_of_range` : undefined;
}

function fromFastify(err: FastifyLikeError): MappedProblem | undefined {
  if (err.validation) {
    const where = err.validationContext ?? 'request';
    const errors = err.validation.map((v): ProblemFieldError => {
      const path = `${where}${v.instancePath ?? ''}`;
      const missing = v.params?.['missingProperty'];
      if (typeof missing === 'string') return { location: `${path}/${missing}`, message: 'is required' };
      const extra = v.params?.['additionalProperty'];
      if (typeof extra === 'string') return { location: `${path}/${extra}`, message: 'is not allowed' };
      return { location: path, message: v.message ?? 'is invalid' };
    });
    const detail = errors.map((e) => `${e.location} ${e.message}`).join('; ');
    return { problem: problemDocument(400, outOfRangeReason(err.validation) ?? 'validation_failed', detail, { errors }), headers: {}, serverError: false };
  }
  const code = err.code ?? '';
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    // fastify's parser refuses prototype poisoning with the same error (secure-json-parse), without telling which.
    const detail = 'the request body is not valid JSON, or it holds a "__proto__" or "constructor": {"prototype"} key, which is refused';
    return { problem: problemDocument(400, 'invalid_json', detail), headers: {}, serverError: false };
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    const reason = FASTIFY_REASONS[code] ?? 'bad_request';
    const detail = code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'the request body exceeds the limit of 1 MiB' : err.message;
    return { problem: problemDocument(err.statusCode, reason, detail), headers: {}, serverError: false };
  }
  return undefined;
}

function internal(): MappedProblem {
  return { problem: problemDocument(500, 'internal', 'internal error'), headers: {}, serverError: true };
}

/**
 * Maps any error to a problem: HttpProblem as raised, gRPC errors per the table above, fastify's
 * request errors (schema validation → 400 validation_failed with `errors`, bad JSON → 400 invalid_json,
 * too large → 413, unsupported media type → 415), anything else → 500 `internal` without details.
 */
export function toProblem(err: unknown, ctx: ProblemContext): MappedProblem {
  if (err instanceof HttpProblem) {
    const extras = { ...err.extras.extensions, ...(err.extras.errors ? { errors: err.extras.errors } : {}) } as Partial<ProblemDocument>;
    return { problem: problemDocument(err.status, err.reason, err.message, extras), headers: err.extras.headers ?? {}, serverError: err.status >= 500 };
  }
  if (isGrpcError(err)) return fromGrpc(err, ctx);
  if (err instanceof Error) return fromFastify(err) ?? internal();
  return internal();
}

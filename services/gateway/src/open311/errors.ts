import { status } from '@grpc/grpc-js';
import { type FastifyLikeError, HttpProblem, grpcReason, isGrpcError } from '../problem';
import { type Open311Format, list, render } from './format';

/**
 * Open311 errors, as GeoReport v2 defines them: HTTP 404 for a resource that does not exist (service
 * code, request, token, jurisdiction), 403 for a missing or wrong api_key, 400 for everything else —
 * including failures of the platform behind ("General Service Error"); never a 5xx, never HTML. The body
 * is `<errors><error><code/><description/></error>…</errors>` or `[{"code":…,"description":…}]`, with
 * every problem found at once. `code` is the HTTP status, except for general service errors where it
 * says what went wrong (503 unavailable, 504 timeout, 413 body too large, 415 not form-urlencoded),
 * which the spec allows ("the code in the response body shouldn't necessarily match"). The one status
 * beyond the spec is 429 (code 429, with Retry-After) for the gateway's rate limits.
 */

/** One entry of the errors document. */
export interface Open311ErrorItem {
  code: number;
  description: string;
}

/** The HTTP statuses Open311 uses (429, which the spec lacks, for the gateway's rate limits). */
export type Open311Status = 400 | 403 | 404 | 429;

/** A failure answered as an Open311 errors document. */
export class Open311Error extends Error {
  override readonly name = 'Open311Error';
  constructor(
    readonly status: Open311Status,
    readonly errors: readonly Open311ErrorItem[],
    readonly extras: { headers?: Record<string, string>; cause?: unknown; serverSide?: boolean } = {},
  ) {
    super(errors.map((e) => e.description).join('; '), extras.cause === undefined ? undefined : { cause: extras.cause });
  }
  /** Machine-readable code: `open311_<status>`. */
  get code(): string {
    return `open311_${this.status}`;
  }
}

/** Shorthands. */
export const open311Errors = {
  /** 400 with one error per description. */
  badRequest: (...descriptions: string[]) => new Open311Error(400, descriptions.map((description) => ({ code: 400, description }))),
  notFound: (description: string) => new Open311Error(404, [{ code: 404, description }]),
  forbidden: (description: string) => new Open311Error(403, [{ code: 403, description }]),
  /** A failure of the platform behind the API: 400 by the spec, with a code saying what it was. */
  general: (code: number, description: string, cause?: unknown, headers?: Record<string, string>) =>
    new Open311Error(400, [{ code, description }], { cause, serverSide: true, ...(headers ? { headers } : {}) }),
};

/** A failure nothing more is known of: a general service error (400, code 400). */
function unexpected(cause: unknown): Open311Error {
  return open311Errors.general(400, 'general service error; if it persists, tell the operators', cause);
}

/** Maps a failed gRPC call of a service to an Open311 error. */
function fromGrpc(err: Parameters<typeof grpcReason>[0]): Open311Error {
  const detail = err.details || grpcReason(err) || 'request failed';
  switch (err.code) {
    case status.NOT_FOUND: return open311Errors.notFound(detail);
    case status.PERMISSION_DENIED: return open311Errors.forbidden(detail);
    case status.INVALID_ARGUMENT:
    case status.FAILED_PRECONDITION:
    case status.ALREADY_EXISTS:
    case status.ABORTED:
    case status.OUT_OF_RANGE:
      return open311Errors.badRequest(detail);
    case status.UNAVAILABLE:
      return open311Errors.general(503, 'the service is temporarily unavailable; retry later', err, { 'retry-after': '1' });
    case status.DEADLINE_EXCEEDED:
      return open311Errors.general(504, 'the service did not answer in time; retry later', err, { 'retry-after': '1' });
    default:
      return unexpected(err);
  }
}

/** Maps any error raised while serving an Open311 request to an Open311 error (never a 5xx). */
export function toOpen311Error(err: unknown): Open311Error {
  if (err instanceof Open311Error) return err;
  if (isGrpcError(err)) return fromGrpc(err);
  if (err instanceof HttpProblem) {
    if (err.status === 404) return open311Errors.notFound(err.message);
    if (err.status === 403 || err.status === 401) return open311Errors.forbidden(err.message);
    if (err.status === 429) return new Open311Error(429, [{ code: 429, description: err.message }], { headers: err.extras.headers ?? {} });
    return err.status >= 500 ? unexpected(err) : open311Errors.badRequest(err.message);
  }
  const f = err as FastifyLikeError;
  if (f.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new Open311Error(400, [{ code: 413, description: 'the request body is larger than 1 MiB' }]);
  if (f.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new Open311Error(400, [{ code: 415, description: 'POST bodies must be application/x-www-form-urlencoded' }]);
  }
  if (err instanceof Error && typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    return f.statusCode === 404 ? open311Errors.notFound(err.message) : open311Errors.badRequest(err.message);
  }
  return unexpected(err);
}

/** The errors document in a format. */
export function renderErrors(format: Open311Format, error: Open311Error): { body: string; contentType: string } {
  return render(format, 'errors', list('error', error.errors.map((e) => ({ code: e.code, description: e.description }))));
}

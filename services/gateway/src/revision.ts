import type { FastifyReply, FastifyRequest } from 'fastify';
import { problems } from './problem';

/**
 * The expected revision from an If-Match header: a plain integer or a quoted ETag (`"3"`).
 * `*` (any current representation) and an absent header mean no exact expectation.
 * @throws HttpProblem 400 invalid_if_match for anything else (e.g. several ETags).
 */
export function expectedRevision(request: FastifyRequest): number | undefined {
  const raw = request.headers['if-match'];
  if (raw === undefined) return undefined;
  const value = (Array.isArray(raw) ? raw.join(',') : raw).trim();
  if (value === '*') return undefined;
  const match = /^(?:(\d{1,15})|"(\d{1,15})")$/.exec(value);
  const revision = match?.[1] ?? match?.[2];
  if (revision === undefined) throw problems.badRequest('invalid_if_match', 'If-Match must be a single revision, e.g. 3 or "3"');
  return Number(revision);
}

/** The strong ETag of a ticket revision: `"<revision>"`. */
function etagOf(revision: number): string {
  return `"${revision}"`;
}

/** Sets the ETag header for a ticket revision. */
export function setEtag(reply: FastifyReply, revision: number): void {
  reply.header('etag', etagOf(revision));
}

import { signToken, type Principal, type SigningKey } from '@tongban/auth';
import type { identity } from '@tongban/contracts';
import { fail } from '@tongban/runtime';

/** Longest lifetime of an issued token, seconds (365 days: a device token). */
const MAX_TOKEN_TTL_SECONDS = 365 * 86400;

/** Default lifetime of an Open311 client token, seconds. */
const OPEN311_TOKEN_TTL_SECONDS = 60;

/**
 * IssueToken: a token for a citizen device or an Open311 client application, signed with the current key.
 * `now` is real time (tokens are never subject to the test clock).
 * @throws ServiceFailure INVALID_ARGUMENT (invalid_token_request) for another kind, an empty subject or a
 *   ttl outside 0 … 365 days.
 */
export async function issueToken(req: identity.IssueTokenRequest, key: SigningKey, now: Date): Promise<identity.IssueTokenResponse> {
  const subject = req.subject.trim();
  if (subject === '' || subject.length > 200) throw fail.invalid('invalid_token_request', 'subject must be 1 to 200 characters');
  if (!Number.isInteger(req.ttlSeconds) || req.ttlSeconds < 0 || req.ttlSeconds > MAX_TOKEN_TTL_SECONDS) {
    throw fail.invalid('invalid_token_request', `ttl_seconds must be 0 to ${MAX_TOKEN_TTL_SECONDS}`);
  }
  let principal: Principal;
  let ttl: number | undefined;
  switch (req.kind) {
    case 'citizen':
      principal = { kind: 'citizen', id: subject };
      break;
    case 'open311':
      principal = { kind: 'open311', id: subject, ...(req.deviceId ? { deviceId: req.deviceId } : {}) };
      ttl = OPEN311_TOKEN_TTL_SECONDS;
      break;
    default:
      throw fail.invalid('invalid_token_request', `identity issues citizen and open311 tokens only (got "${req.kind}")`);
  }
  return { token: await signToken(principal, key, now, req.ttlSeconds || ttl) };
}

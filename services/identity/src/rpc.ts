import { Metadata, status, type ServerUnaryCall, type ServiceError, type sendUnaryData } from '@grpc/grpc-js';
import { verifyTokenSubject, type TokenSubject, type VerificationKeys } from '@tongban/auth';
import { REASON_KEY, answerUnary, callerToken, correlationId, toServiceError, type Logger } from '@tongban/runtime';
import { CredentialError, ThrottledError } from './sessions';
import { StaffRejection } from './staff';

const REJECTION_CODES = {
  invalid: status.INVALID_ARGUMENT,
  precondition: status.FAILED_PRECONDITION,
  not_found: status.NOT_FOUND,
  conflict: status.ALREADY_EXISTS,
} as const;

/**
 * Identity's failures as gRPC statuses: StaffRejection → INVALID_ARGUMENT / FAILED_PRECONDITION /
 * NOT_FOUND / ALREADY_EXISTS; CredentialError → UNAUTHENTICATED; ThrottledError → RESOURCE_EXHAUSTED
 * (reason too_many_attempts, trailer `retry-after` in seconds); anything else as every service maps it.
 */
function identityError(err: unknown): Partial<ServiceError> {
  const build = (code: status, reason: string, details: string, extra: Record<string, string> = {}) => {
    const metadata = new Metadata();
    metadata.set(REASON_KEY, reason);
    for (const [k, v] of Object.entries(extra)) metadata.set(k, v);
    return { code, details, metadata };
  };
  if (err instanceof StaffRejection) return build(REJECTION_CODES[err.kind], err.reason, err.message);
  if (err instanceof CredentialError) return build(status.UNAUTHENTICATED, err.reason, err.message);
  if (err instanceof ThrottledError) return build(status.RESOURCE_EXHAUSTED, 'too_many_attempts', err.message, { 'retry-after': String(err.retryAfterSeconds) });
  return toServiceError(err);
}

/** A unary identity method: `subject` is the verified caller (undefined when `auth` is 'none'). */
export function identityUnary<Req, Res>(
  keys: VerificationKeys, log: Logger, auth: 'none' | 'required',
  handler: (request: Req, subject: TokenSubject | undefined, correlation: string) => Promise<Res>,
) {
  return (call: ServerUnaryCall<Req, Res>, done: sendUnaryData<Res>): void => answerUnary(call, done, log, async () => {
    const subject = auth === 'required' ? await verifyTokenSubject(callerToken(call.metadata), keys) : undefined;
    return handler(call.request, subject, correlationId(call.metadata));
  }, identityError);
}

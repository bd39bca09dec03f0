import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { UnauthenticatedError } from '@tongban/auth';
import { TicketRejection } from '@tongban/domain';
import { WrongExpectedRevisionError, isTransientError } from '@tongban/eventstore';
import { UndecodableEventError } from './ticket-events';

/** Metadata key carrying the machine-readable reason of a failed call. */
export const REASON_KEY = 'tongban-reason';

/** A failure with a gRPC status and a typed reason, raised by service code. */
export class ServiceFailure extends Error {
  override readonly name = 'ServiceFailure';
  constructor(readonly grpcCode: status, readonly reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
  get code(): string {
    return this.reason;
  }
}

/** Shorthands for common failures. */
export const fail = {
  invalid: (reason: string, message: string) => new ServiceFailure(status.INVALID_ARGUMENT, reason, message),
  notFound: (reason: string, message: string) => new ServiceFailure(status.NOT_FOUND, reason, message),
  forbidden: (reason: string, message: string) => new ServiceFailure(status.PERMISSION_DENIED, reason, message),
  precondition: (reason: string, message: string) => new ServiceFailure(status.FAILED_PRECONDITION, reason, message),
  conflict: (reason: string, message: string) => new ServiceFailure(status.ABORTED, reason, message),
  alreadyExists: (reason: string, message: string) => new ServiceFailure(status.ALREADY_EXISTS, reason, message),
};

const REJECTION_CODES = {
  invalid: status.INVALID_ARGUMENT,
  forbidden: status.PERMISSION_DENIED,
  precondition: status.FAILED_PRECONDITION,
  not_found: status.NOT_FOUND,
} as const;

/**
 * The one place where service errors become gRPC statuses:
 * TicketRejection → INVALID_ARGUMENT / PERMISSION_DENIED / FAILED_PRECONDITION / NOT_FOUND;
 * WrongExpectedRevisionError → ABORTED (reason revision_mismatch); UnauthenticatedError → UNAUTHENTICATED;
 * UndecodableEventError (the ticket's stream holds an event this code cannot read) → FAILED_PRECONDITION
 * (reason undecodable_event, the message naming the revision and type);
 * ServiceFailure → its code; a transient failure of a dependency (PostgreSQL down or restarting, a lost
 * connection, a timeout: see `isTransientError`) → UNAVAILABLE (reason `unavailable`, which the gateway
 * answers 503 with Retry-After); anything else → INTERNAL (message hidden).
 */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const build = (code: status, reason: string, details: string): Partial<ServiceError> => {
    const metadata = new Metadata();
    metadata.set(REASON_KEY, reason);
    return { code, details, metadata };
  };
  if (err instanceof TicketRejection) return build(REJECTION_CODES[err.kind], err.reason, err.message);
  if (err instanceof ServiceFailure) return build(err.grpcCode, err.reason, err.message);
  if (err instanceof WrongExpectedRevisionError) return build(status.ABORTED, 'revision_mismatch', err.message);
  if (err instanceof UnauthenticatedError) return build(status.UNAUTHENTICATED, 'unauthenticated', err.message);
  if (err instanceof UndecodableEventError) return build(status.FAILED_PRECONDITION, err.code, err.message);
  if (isTransientError(err)) return build(status.UNAVAILABLE, 'unavailable', 'a dependency of the service is unavailable; retry later');
  return build(status.INTERNAL, 'internal', 'internal error');
}

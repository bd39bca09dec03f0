/**
 * Why a command was refused. `kind` decides the edge mapping:
 * - invalid: the command itself is malformed (HTTP 400 / gRPC INVALID_ARGUMENT);
 * - forbidden: the actor may not do this (HTTP 403 / PERMISSION_DENIED);
 * - precondition: not allowed in the ticket's current state (HTTP 409 / FAILED_PRECONDITION);
 * - not_found: no such ticket (HTTP 404 / NOT_FOUND).
 */
export type RejectionKind = 'invalid' | 'forbidden' | 'precondition' | 'not_found';

/** An expected business failure of a ticket command: a typed reason, never a crash. */
export class TicketRejection extends Error {
  override readonly name = 'TicketRejection';
  constructor(
    readonly kind: RejectionKind,
    /** Machine-readable reason, e.g. `not_routed`, `not_holder`, `already_resolved`. */
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Same as `reason`; the error code convention of DESIGN.md. */
  get code(): string {
    return this.reason;
  }
}

/** Shorthand constructors. */
export const reject = {
  invalid: (reason: string, message: string) => new TicketRejection('invalid', reason, message),
  forbidden: (reason: string, message: string) => new TicketRejection('forbidden', reason, message),
  precondition: (reason: string, message: string) => new TicketRejection('precondition', reason, message),
  notFound: (reason: string, message: string) => new TicketRejection('not_found', reason, message),
};

import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Issue 12 item 5: what a process is handling now — a gRPC call (the caller's correlation id) or a ticket
 * event from JetStream (its correlation id, and the event itself as the cause of what follows). Every log
 * line written meanwhile carries it (the logger's mixin), and the ticket executor stamps it on the events
 * it appends, so the caller's correlation id survives every hop: gateway → service → event metadata →
 * relay → consumers → their events' causationId/correlationId.
 */
export interface HandlingContext {
  correlationId: string;
  /** The id of the event being handled (the cause of events appended meanwhile). */
  causationId?: string;
}

const storage = new AsyncLocalStorage<HandlingContext>();

/** Runs `fn` with `context` as what is being handled (nested calls see the innermost). */
export function withHandlingContext<T>(context: HandlingContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** What is being handled now, if anything. */
export function handlingContext(): HandlingContext | undefined {
  return storage.getStore();
}

/** The context of handling a ticket event: its correlation id (the event id when it has none) and the event as cause. */
export function eventContext(event: { id: string; metadata: { correlationId?: string } }): HandlingContext {
  return { correlationId: event.metadata.correlationId || event.id, causationId: event.id };
}

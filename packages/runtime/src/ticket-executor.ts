import {
  type ActorContext, type Clock, type TicketCommand, type TicketEvent, type TicketState,
  type WorkflowSettings, decide, evolveAll, ticketStream,
} from '@tongban/domain';
import { type EventStore, WrongExpectedRevisionError } from '@tongban/eventstore';
import type { ReferenceData } from '@tongban/reference-data';
import { v7 as uuidv7 } from 'uuid';
import { eventActor } from './actor';
import { handlingContext } from './context';
import { toEnvelopes } from './ticket-events';

/** Version of the event schemas written by this code (proto package tongban.ticket.v1). */
export const EVENT_SCHEMA_VERSION = 1;

/** How many times a command is retried after a version conflict when no revision was expected. */
export const MAX_CONFLICT_RETRIES = 5;

/** Options of one command execution. */
export interface ExecuteOptions {
  /** Exact revision the caller expects (HTTP If-Match); a mismatch fails with WrongExpectedRevisionError. */
  expectedRevision?: number;
  correlationId: string;
  causationId?: string;
  /** Channel recorded in metadata (app, proxy, open311, web, system). */
  channel?: string;
  /** Name of the person a proxy submission was made for, recorded in metadata. */
  onBehalfOf?: string;
  /** Deterministic event ids (e.g. for timer-driven events), by index; default UUIDv7. */
  eventId?: (index: number, event: TicketEvent) => string;
  /** Recorded in the metadata of the command's events (not a follow-up's): see EventMetadataInput.requestHash. */
  requestHash?: string;
  /**
   * Events caused by the latest event of the stream (a timer, whose due time that event last set): their
   * causationId is its id and their correlationId its correlationId (`correlationId` for an empty stream).
   */
  causedByLatest?: boolean;
  /**
   * The caller just allocated `ticketId` (a new UUIDv7, no earlier claim): the first attempt takes the
   * stream as empty without reading it and appends with `no_stream`, so a submission costs one round trip
   * less; should the stream exist after all, the append fails on the expectation and the retry reads it.
   */
  newStream?: boolean;
  /**
   * A second command, decided on the state the first one's events make and appended with them in the same
   * append (one transaction, one expected revision): intake's initial routing of a submission (issue 13).
   * Absent, or no event decided: the first command's events alone.
   */
  then?: FollowUp;
}

/**
 * The second command of an {@link ExecuteOptions.then}: its events are the `actor`'s, on `channel`, with the
 * first command's correlation id and, as causation id, the id of the first command's last event (as when a
 * consumer of that event appends them after it).
 */
export interface FollowUp {
  command: TicketCommand;
  actor: ActorContext;
  channel?: string;
  /** The id of its `index`-th event, derived from the id of the event that caused it (deterministic: a retry derives it again). */
  eventId: (causeId: string, index: number) => string;
}

/**
 * What {@link TicketExecutor.execute} runs: a command, or a function making it from the ticket's state as read
 * for each attempt (so a caller that needs the state to choose its command does not read the stream twice);
 * undefined: nothing to do (no event, the result carries the state read).
 */
export type CommandOf = TicketCommand | ((state: TicketState) => TicketCommand | undefined | Promise<TicketCommand | undefined>);

/** The outcome of a command. */
export interface ExecuteResult {
  /** Stream revision after the command (unchanged when no event was written). */
  revision: number;
  eventTypes: string[];
  state: TicketState;
  /**
   * True when the store already held every event id of the append (deterministic ids, `eventId`: a
   * concurrent call with the same ids wrote first) and wrote nothing: `eventTypes` and `state` are then what
   * this call decided, not necessarily what is stored.
   */
  repeated?: boolean;
}

/** Loads a ticket's state from its stream. */
export async function loadTicket(store: EventStore, ticketId: string): Promise<TicketState> {
  return evolveAll(toEnvelopes(await store.readStream(ticketStream(ticketId))));
}

/**
 * Executes ticket commands: read the stream, evolve, decide, append with the expected revision.
 * A conflict is retried up to MAX_CONFLICT_RETRIES times unless the caller expected an exact revision.
 */
export class TicketExecutor {
  constructor(
    private readonly deps: { store: EventStore; ref: ReferenceData; clock: Clock; service: string; settings?: WorkflowSettings },
  ) {}

  /**
   * Runs `command` on ticket `ticketId` as `actor` (a function: made from the state read, again at each retry).
   * @throws TicketRejection (business rule), WrongExpectedRevisionError (If-Match mismatch, or conflicts
   *   beyond the retry budget); whatever `command` (a function) throws.
   */
  async execute(ticketId: string, command: CommandOf, actor: ActorContext, options: ExecuteOptions): Promise<ExecuteResult> {
    const { store, ref, clock, service, settings } = this.deps;
    // Appended while a ticket event is handled (a consumer): caused by it unless the caller says otherwise.
    const causationId = options.causationId ?? handlingContext()?.causationId;
    for (let attempt = 0; ; attempt++) {
      const recorded = attempt === 0 && options.newStream ? [] : await store.readStream(ticketStream(ticketId));
      const state = evolveAll(toEnvelopes(recorded));
      const latest = options.causedByLatest ? recorded[recorded.length - 1] : undefined;
      const correlationId = latest?.metadata.correlationId || options.correlationId;
      const causedBy = latest?.id ?? causationId;
      if (options.expectedRevision !== undefined && options.expectedRevision !== state.revision) {
        throw new WrongExpectedRevisionError(ticketStream(ticketId), options.expectedRevision, state.revision);
      }
      const next = typeof command === 'function' ? await command(state) : command;
      if (!next) return { revision: state.revision, eventTypes: [], state };
      const now = clock.now();
      const context = (by: ActorContext) => ({ now, actor: by, isWithin: (code: string, ancestor: string) => ref.divisions.isWithin(code, ancestor), ...(settings ? { settings } : {}) });
      const decided = decide(next, state, context(actor));
      if (decided.length === 0) return { revision: state.revision, eventTypes: [], state };
      const occurredAt = now.toISOString();
      const metadata = (by: ActorContext, channel: string | undefined, causation: string | undefined, onBehalfOf?: string, requestHash?: string) => ({
        actor: eventActor(by),
        ...(onBehalfOf ? { onBehalfOf } : {}),
        ...(channel ? { channel } : {}),
        correlationId,
        ...(causation ? { causationId: causation } : {}),
        service,
        schemaVersion: EVENT_SCHEMA_VERSION,
        occurredAt,
        ...(requestHash ? { requestHash } : {}),
      });
      const newEvents = decided.map((event, index) => ({
        id: options.eventId?.(index, event) ?? uuidv7(),
        type: event.type,
        data: event.data as unknown as Record<string, unknown>,
        metadata: metadata(actor, options.channel, causedBy, options.onBehalfOf, options.requestHash),
      }));
      let after = evolveAll(decided.map((e) => ({ ...e, occurredAt, actor: eventActor(actor) })), state);
      const eventTypes = decided.map((e) => e.type);
      const followUp = options.then;
      if (followUp) {
        // Decided on the state the first command's events make, and caused by the last of them.
        const following = decide(followUp.command, after, context(followUp.actor));
        const cause = newEvents[newEvents.length - 1]!.id;
        newEvents.push(...following.map((event, index) => ({
          id: followUp.eventId(cause, index),
          type: event.type,
          data: event.data as unknown as Record<string, unknown>,
          metadata: metadata(followUp.actor, followUp.channel, cause),
        })));
        after = evolveAll(following.map((e) => ({ ...e, occurredAt, actor: eventActor(followUp.actor) })), after);
        eventTypes.push(...following.map((e) => e.type));
      }
      try {
        const expected = state.revision < 0 ? 'no_stream' : state.revision;
        const result = await store.append(ticketStream(ticketId), newEvents, expected);
        return { revision: result.nextExpectedRevision, eventTypes, state: after, ...(result.appended ? {} : { repeated: true }) };
      } catch (err) {
        const retriable = err instanceof WrongExpectedRevisionError && options.expectedRevision === undefined && attempt < MAX_CONFLICT_RETRIES;
        if (!retriable) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)));
      }
    }
  }
}

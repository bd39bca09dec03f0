/**
 * Command runners for the workload: the production path (TicketExecutor appending to the event store,
 * one read and one append per command) and an in-memory path using the same decider (`decide` and
 * `evolve`, the same metadata) whose events are written in bulk (see bulk-writer.ts).
 */
import {
  type ActorContext, type TicketCommand, type TicketState, TicketRejection, decide, evolveAll, initialTicketState,
} from '@tongban/domain';
import type { NewEvent } from '@tongban/eventstore';
import type { ReferenceData } from '@tongban/reference-data';
import { EVENT_SCHEMA_VERSION, TicketExecutor, eventActor } from '@tongban/runtime';
import type { EventStore } from '@tongban/eventstore';
import { Prng } from './prng';
import { type CommandRunner, type RunOptions, uuidAt } from './simulate';

/** A settable clock (the simulated instant of the command being run). */
export class SimClock {
  private at = new Date();
  now(): Date {
    return this.at;
  }
  set(at: Date): void {
    this.at = at;
  }
}

/** A ticket's events as decided, with the instant each was recorded. */
export interface DecidedTicket {
  stream: string;
  events: (NewEvent & { recordedAt: string })[];
  state: TicketState;
}

/**
 * Runs commands through `decide`/`evolve` in memory (exactly what TicketExecutor does, without the
 * store round trips), collecting the events per ticket. Event ids are deterministic (seeded).
 */
export class InMemoryRunner implements CommandRunner {
  private readonly tickets = new Map<string, DecidedTicket>();
  private readonly ids: Prng;
  /** Commands the decider refused (counted, as the production path would answer 4xx). */
  refused = 0;

  constructor(private readonly ref: ReferenceData, seed: number, stream = 0) {
    this.ids = new Prng(seed ^ 0x5eed, stream);
  }

  async run(ticketId: string, command: TicketCommand, actor: ActorContext, at: Date, options: RunOptions): Promise<TicketState | null> {
    const stream = `ticket-${ticketId}`;
    const ticket = this.tickets.get(stream) ?? { stream, events: [], state: initialTicketState() };
    let decided;
    try {
      decided = decide(command, ticket.state, { now: at, actor, isWithin: (c, a) => this.ref.divisions.isWithin(c, a) });
    } catch (err) {
      if (err instanceof TicketRejection) {
        this.refused += 1;
        return null;
      }
      throw err;
    }
    if (decided.length === 0) return ticket.state;
    const occurredAt = at.toISOString();
    const recorded = actorMetadata(actor, options, occurredAt);
    for (const event of decided) {
      ticket.events.push({
        id: uuidAt(at.getTime(), this.ids.bytes16()), type: event.type, data: event.data as unknown as Record<string, unknown>,
        metadata: recorded, recordedAt: occurredAt,
      });
    }
    ticket.state = evolveAll(decided.map((e) => ({ ...e, occurredAt, actor: eventActor(actor) }) as never), ticket.state);
    this.tickets.set(stream, ticket);
    return ticket.state;
  }

  /** Hands over the tickets decided so far and forgets them. */
  drain(): DecidedTicket[] {
    const out = [...this.tickets.values()];
    this.tickets.clear();
    return out;
  }
}

/** The event metadata TicketExecutor records for a command. */
function actorMetadata(actor: ActorContext, options: RunOptions, occurredAt: string): NewEvent['metadata'] {
  return {
    actor: eventActor(actor),
    ...(options.onBehalfOf ? { onBehalfOf: options.onBehalfOf } : {}),
    channel: options.channel,
    correlationId: options.correlationId,
    service: options.service,
    schemaVersion: EVENT_SCHEMA_VERSION,
    occurredAt,
  };
}

/**
 * The production path: TicketExecutor (load, decide, append with the expected revision) against the
 * store, with the simulated instant as both the command clock and the store's recording clock.
 */
export class ExecutorRunner implements CommandRunner {
  private readonly executors = new Map<string, TicketExecutor>();
  private readonly ids: Prng;
  refused = 0;

  constructor(private readonly deps: { store: EventStore; ref: ReferenceData; clock: SimClock }, seed: number, stream = 0) {
    this.ids = new Prng(seed ^ 0x5eed, stream);
  }

  async run(ticketId: string, command: TicketCommand, actor: ActorContext, at: Date, options: RunOptions): Promise<TicketState | null> {
    let executor = this.executors.get(options.service);
    if (!executor) {
      executor = new TicketExecutor({ store: this.deps.store, ref: this.deps.ref, clock: this.deps.clock, service: options.service });
      this.executors.set(options.service, executor);
    }
    this.deps.clock.set(at);
    try {
      const result = await executor.execute(ticketId, command, actor, {
        correlationId: options.correlationId, channel: options.channel,
        ...(options.onBehalfOf ? { onBehalfOf: options.onBehalfOf } : {}),
        eventId: () => uuidAt(at.getTime(), this.ids.bytes16()),
      });
      return result.state;
    } catch (err) {
      if (err instanceof TicketRejection) {
        this.refused += 1;
        return null;
      }
      throw err;
    }
  }
}

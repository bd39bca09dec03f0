/**
 * Given/when/then for deciders (`decide(command, state) → events`, `evolve(state, event) → state`), the
 * one helper every decider test uses (the ticket's in packages/domain, the staff account's in identity):
 *
 *   const { given } = deciderSpec({ initialState, evolve, decide, isRejection });
 *   given(created).when(command, ctx).then([expected events]);   // returns the state after them
 *   given(created).when(command, ctx).thenRejects(…);             // as the decider's expectRejection says
 *
 * Pure: no I/O, so unit tests of pure code may import it (`@tongban/testing/decider-spec`).
 */

/** A decider as its tests see it. `History` is what evolve folds (the event with its envelope, when it has one). */
export interface DeciderUnderTest<Command, Event, State, Context, History = Event, RejectArgs extends unknown[] = [expected: RegExp | string | (new (...args: never[]) => Error)]> {
  /** The state before any event. */
  initialState: () => State;
  /** Folds one history item into the state. */
  evolve: (state: State, item: History) => State;
  /** Decides a command; a refusal is thrown (see isRejection). */
  decide: (command: Command, state: State, context: Context) => Event[];
  /** True for the decider's refusals; anything else thrown fails the test as it is. */
  isRejection: (error: unknown) => boolean;
  /** A decided event as history (e.g. wrapped in its envelope with the context's actor and time). Default: the event itself. */
  record?: (event: Event, context: Context) => History;
  /** Asserts that `rejection` is the one expected. Default: `toThrow(expected)` (a message pattern, text or class). */
  expectRejection?: (rejection: unknown, ...expected: RejectArgs) => void;
}

/** What a `when` gives: the outcome, asserted with `then` or `thenRejects`. */
export interface DeciderOutcome<Event, State, RejectArgs extends unknown[]> {
  /** The decided events; the test fails when the command was refused. */
  then(expected: Event[]): State;
  /** The command was refused as expected; the test fails when it produced events. */
  thenRejects(...expected: RejectArgs): void;
}

/** given(history) → when(command, context) → then / thenRejects. */
export interface DeciderSpec<Command, Event, State, Context, History, RejectArgs extends unknown[]> {
  given(...history: History[]): {
    /** The state after the history. */
    state: State;
    /** Decides `command` (the context may be left out when the decider takes none). */
    when(command: Command, ...context: undefined extends Context ? [context?: Context] : [context: Context]): DeciderOutcome<Event, State, RejectArgs>;
  };
}

/** Builds the given/when/then of a decider. */
export function deciderSpec<Command, Event, State, Context, History = Event, RejectArgs extends unknown[] = [expected: RegExp | string | (new (...args: never[]) => Error)]>(
  decider: DeciderUnderTest<Command, Event, State, Context, History, RejectArgs>,
): DeciderSpec<Command, Event, State, Context, History, RejectArgs> {
  const record = decider.record ?? ((event: Event) => event as unknown as History);
  const expectRejection = decider.expectRejection ?? ((rejection: unknown, ...expected: RejectArgs) => {
    expect(() => { throw rejection; }).toThrow(expected[0] as RegExp | string | (new (...args: never[]) => Error));
  });
  return {
    given(...history) {
      const state = history.reduce(decider.evolve, decider.initialState());
      return {
        state,
        when(command, ...rest) {
          const context = rest[0] as Context;
          let result: { events: Event[] } | { rejection: unknown };
          try {
            result = { events: decider.decide(command, state, context) };
          } catch (error) {
            if (!decider.isRejection(error)) throw error;
            result = { rejection: error };
          }
          return {
            then(expected) {
              if ('rejection' in result) {
                const r = result.rejection as { kind?: unknown; reason?: unknown; message?: unknown };
                throw new Error(`expected events, got rejection ${String(r.kind ?? '')}/${String(r.reason ?? '')}: ${String(r.message ?? r)}`);
              }
              expect(result.events).toEqual(expected);
              return result.events.map((event) => record(event, context)).reduce(decider.evolve, state);
            },
            thenRejects(...expected) {
              if ('events' in result) throw new Error(`expected a rejection (${expected.map(String).join(', ')}), got events ${JSON.stringify(result.events)}`);
              expectRejection(result.rejection, ...expected);
            },
          };
        },
      };
    },
  };
}

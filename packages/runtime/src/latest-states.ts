/**
 * A process's bounded memory of the latest state it knows of each key (a ticket id): what a consumer folded
 * or wrote last, so that the next events of a ticket just handled (a submission's routing, a second later)
 * fold on from it without reading the stream or the stored row again (issue 13). The notification service
 * keeps each ticket's folded state in one, the query service the `ticket_views` rows it wrote.
 */

/** What the memory holds of a key: a state at its stream revision (0 = the stream's first event). */
export interface Revisioned {
  readonly revision: number;
}

/**
 * The latest states remembered, at most `capacity` keys: the least recently remembered key is forgotten
 * first (a `get` does not make a key recent). A state never replaces one of a later revision (a late
 * redelivery, or a slower concurrent handler, cannot move a key back); one of the same revision does, and
 * makes the key recent. The values are kept as given (not copied): callers must not change them after.
 * Not shared between processes: an entry may be behind the stream (another replica handled its later
 * events), and callers read what is missing.
 * @typeParam S the state of one key, with its `revision` (an integer ≥ 0).
 */
export class LatestStates<S extends Revisioned> {
  private readonly states = new Map<string, S>();

  /**
   * @param capacity keys remembered, an integer ≥ 1 (default 2,000: some seconds of submissions at a
   * province's peak).
   * @throws RangeError when `capacity` is not an integer ≥ 1.
   */
  constructor(private readonly capacity = 2000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be an integer ≥ 1, got ${capacity}`);
  }

  /** The state last remembered for `key`, if it is still remembered. */
  get(key: string): S | undefined {
    return this.states.get(key);
  }

  /**
   * Remembers `state` as the latest of `key` (the most recent key), unless a state of a later revision is
   * remembered for it (then nothing changes). Forgets the least recent key when over capacity.
   */
  remember(key: string, state: S): void {
    const current = this.states.get(key);
    if (current && current.revision > state.revision) return;
    this.states.delete(key);
    this.states.set(key, state);
    if (this.states.size > this.capacity) this.states.delete(this.states.keys().next().value as string);
  }
}

/** A source of the current instant. Injected everywhere so that tests can move time. */
export interface Clock {
  /** The current instant (UTC). */
  now(): Date;
}

import type { Clock } from '@tongban/domain';

/**
 * The real clock: the platform's only one (re-exported by @tongban/runtime). It lives here, the lowest
 * package that needs a default clock (the event store's `recordedAt`); the domain stays free of real time.
 */
export const systemClock: Clock = { now: () => new Date() };

/**
 * What timers a ticket needs: the pure plan lives in the domain (packages/domain/src/sla/timers.ts) so that
 * it is tested with the decider; re-exported here for the service's modules.
 */
export { DEFAULT_TIMER_SETTINGS, type Timer, type TimerSettings, desiredTimers, nextEscalation } from '@tongban/domain';

/** The ticket domain: pure decider, SLA legs, permissions, reference data. No I/O. */
export * from './clock';
export * from './reference/divisions';
export * from './reference/catalogue';
export * from './reference/units';
export * from './sla/legs';
export * from './sla/zone';
export * from './sla/calendar';
export * from './sla/calendars';
export * from './sla/policy';
export * from './sla/timers';
export * from './ticket/events';
export * from './ticket/errors';
export * from './ticket/state';
export * from './ticket/commands';
export * from './ticket/permissions';
export * from './ticket/evolve';
export * from './ticket/decide';

export * from './coordinates';
export * from './county-boundaries';
export * from './locate';
export * from './place-names';

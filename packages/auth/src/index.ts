/** Authentication: principals and their tokens. */
export * from './principal';
export * from './tokens';

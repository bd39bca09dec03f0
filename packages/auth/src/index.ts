/** Authentication: principals, their tokens and the signing keys. */
export * from './principal';
export * from './tokens';
export * from './keys';

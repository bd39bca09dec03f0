/** Build helpers of the web apps (apps/*): pre-compression and the initial-JavaScript budget. */
export * from './precompress';
export * from './budget';

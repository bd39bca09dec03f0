export * from './media';
export * from './prepare';
export * from './store';
export * from './strip';

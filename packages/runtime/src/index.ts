/** Shared process plumbing for Tongban services. */
export * from './config';
export * from './logger';
export * from './clock';
export * from './grpc-errors';
export * from './grpc-server';
export * from './actor';
export * from './ticket-executor';
export * from './service-host';
export * from './ticket-rpc';
export * from './consume';

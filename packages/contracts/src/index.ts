/**
 * Contracts generated from `proto/` by ts-proto (`npm run proto:gen`). Do not edit `generated/`.
 * Events: one message per event type (the type name is the message name); services: gRPC clients
 * and service definitions for @grpc/grpc-js.
 */
export * as common from './generated/tongban/common/v1/common';
export * as events from './generated/tongban/ticket/v1/events';
export * as commands from './generated/tongban/ticket/v1/commands';
export * as intake from './generated/tongban/intake/v1/intake';
export * as routing from './generated/tongban/routing/v1/routing';
export * as casework from './generated/tongban/casework/v1/casework';
export * as query from './generated/tongban/query/v1/query';
export * as notification from './generated/tongban/notification/v1/notification';
export * as audit from './generated/tongban/audit/v1/events';
export * as identity from './generated/tongban/identity/v1/identity';
export * as identityEvents from './generated/tongban/identity/v1/events';

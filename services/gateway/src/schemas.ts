import { MAX_TEXT_LENGTH } from '@tongban/domain';
import { PROBLEM_CONTENT_TYPE } from './problem';

/**
 * Shared JSON schemas (plain JSON Schema, as fastify and @fastify/swagger use them). Bodies are strict
 * (unknown fields are rejected, no type coercion); meaning (score ranges, verification methods,
 * deadlines in the past…) is checked by the services' decider, which answers with typed reasons.
 */

/** A JSON schema object (kept loose: fastify and swagger accept plain objects). */
export type JsonSchema = Record<string, unknown>;

/** The RFC 9457 problem document. */
const problemSchema: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'reason'],
  properties: {
    type: { type: 'string', description: 'urn:tongban:problem:<reason>' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    reason: { type: 'string', description: 'Machine-readable reason, e.g. not_holder, revision_mismatch, validation_failed.' },
    instance: { type: 'string' },
    correlationId: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { location: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  additionalProperties: true,
};

const PROBLEM_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Malformed JSON, a schema violation, or a rejection of the input by the service.',
  401: 'No token, or an invalid or expired one.',
  403: 'The caller may not do this (decided by the service).',
  404: 'Unknown ticket or route.',
  409: 'The ticket is not in a state that allows this, or a concurrent change won.',
  412: 'If-Match named another revision than the current one.',
  413: 'The body is larger than 1 MiB.',
  415: 'The body is not application/json.',
  422: 'The Idempotency-Key was used before with another body.',
  503: 'A backing service is unavailable.',
};

/** Response entries for problem statuses, for the OpenAPI document. */
export function problemResponses(...statuses: number[]): Record<number, JsonSchema> {
  return Object.fromEntries(statuses.map((s) => [s, {
    description: PROBLEM_DESCRIPTIONS[s] ?? 'Problem',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
  }]));
}

/** `{id}` of a ticket route. */
export const ticketIdParams: JsonSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'Ticket id (UUIDv7).' } },
};

/** The If-Match header of state-changing routes. */
export const ifMatchHeaders: JsonSchema = {
  type: 'object',
  properties: {
    'if-match': {
      type: 'string',
      description: 'Expected revision: 3 or "3" (the ETag); anything else answers 400 invalid_if_match. A mismatch answers 412; without it a conflict is retried by the service.',
    },
  },
};

/** What a state-changing command wrote. */
export const commandOutcomeSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'revision', 'events'],
  properties: {
    id: { type: 'string' },
    revision: { type: 'integer', description: 'Stream revision after the command (also the ETag).' },
    events: { type: 'array', items: { type: 'string' }, description: 'Types of the events appended (empty for an idempotent repeat).' },
  },
};

/**
 * Schema keyword naming the protobuf field an HTTP input is carried in (`tongban.ticket.v1.RateTicket.score`),
 * or `gateway` for an input the gateway itself consumes. Every integer input carries it: a test walks
 * the OpenAPI document and the proto descriptors and checks that each accepted range fits the field's
 * type (see openapi-integers.int.test.ts). Registered with ajv in server.ts; @fastify/swagger publishes it.
 */
export const PROTO_KEYWORD = 'x-proto';

/** What {@link instantsOnly} needs of an ajv instance (its formats, and adding one). */
interface FormatRegistry {
  formats: Record<string, unknown>;
  addFormat(name: string, format: { type: 'string'; validate: (value: string) => boolean }): unknown;
}

/**
 * Narrows ajv's `date-time` format (ajv-formats) to texts that are an instant: the format allows a leap
 * second (`2026-12-31T23:59:60Z`), which no JavaScript Date has, so `new Date(value)` of a valid body was
 * Invalid Date and its `toISOString()` a 500. Such a text is refused like any other bad date-time: 400
 * `validation_failed` naming the field ("must match format \"date-time\""). Called by the gateway's ajv
 * `onCreate`, once ajv-formats is added; without a `date-time` format it adds nothing.
 */
export function instantsOnly(ajv: FormatRegistry): void {
  const format = ajv.formats['date-time'];
  const validate = typeof format === 'function' ? format as (value: string) => boolean
    : typeof format === 'object' && format !== null && typeof (format as { validate?: unknown }).validate === 'function'
      ? (format as { validate: (value: string) => boolean }).validate : undefined;
  if (!validate) return;
  ajv.addFormat('date-time', { type: 'string', validate: (value) => validate(value) && Number.isFinite(Date.parse(value)) });
}

/**
 * An integer input carried in a 32-bit protobuf field: ajv's `int32` format refuses anything outside
 * [-2^31, 2^31-1] (a bigger number would fail serialization upstream), answered 400 `<field>_out_of_range`
 * (see problem.ts). `proto`: the field's full name.
 */
export function int32(description: string, proto: string): JsonSchema {
  return { type: 'integer', format: 'int32', [PROTO_KEYWORD]: proto, description };
}

/**
 * A whole number sent as text (query parameters): 1 to `maxDigits` digits, carried in the protobuf
 * field `proto` (or consumed by the gateway: `gateway`). The digits bound the value, which must fit the
 * field's type (checked by openapi-integers.int.test.ts).
 */
export function digits(maxDigits: number, description: string, proto: string): JsonSchema {
  return { type: 'string', pattern: `^[0-9]{1,${maxDigits}}$`, [PROTO_KEYWORD]: proto, description };
}

/** A free-form JSON document (views served by the query service); serialized as is. */
export const openObjectSchema: JsonSchema = { type: 'object', additionalProperties: true };

/** A required, non-empty text field. */
export function text(description: string, maxLength = MAX_TEXT_LENGTH): JsonSchema {
  return { type: 'string', minLength: 1, maxLength, description };
}

/** An optional text field (may be empty). */
export function optionalText(description: string, maxLength = MAX_TEXT_LENGTH): JsonSchema {
  return { type: 'string', maxLength, description };
}

/** The bearer security requirement of authenticated routes. */
export const bearerSecurity = [{ bearerAuth: [] }];

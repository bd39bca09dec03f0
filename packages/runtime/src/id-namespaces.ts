import { hash } from 'node:crypto';

/**
 * The UUIDv5 namespaces of the platform's deterministic ids, in one place. An id derived from one of
 * these is stored (event ids, inbox message ids, delivery ids) and compared with the id a retry derives
 * again, so a namespace must never change: id-namespaces.unit.test.ts pins every value.
 */
export const ID_NAMESPACES = {
  /** TicketRouted of a submission, by intake or routing (`<cause id>/<role>/<index>`, initial-routing.ts). */
  causedEvent: '2f1c0c5e-7d0b-4a59-9d7e-3b7b1a6f0c11',
  /** notification: inbox message ids (`<event id>/<recipient kind>/<recipient id>`). */
  inboxMessage: '8e0f3a52-41f4-4c43-9b55-5f2d1a1c7e90',
  /** notification: the message telling a unit an outbound delivery failed (`<message id>/<channel>/<recipient id>`). */
  deliveryFailure: '0b6f1f8e-6f53-4a43-8f0e-2c1a4f9f3d11',
  /** query: audit anchor event ids (`<anchor stream>/<transaction id>/<position>` of the covered range). */
  auditAnchor: '5b0e7a52-3c1f-4f6e-9a43-2c8d7e61b0a9',
  /** deadline: events a fired timer appends (`<ticket>/<leg>/<kind>/<due key>/<role>`). */
  timerEvent: 'c7f4f0a4-5a3e-4a8e-8d4b-0b6f2d9e1a37',
  /** intake: event ids of a client's offline update (JSON of principal kind, id, ticket id, update id, index). */
  clientUpdate: '5b0e6f0c-2f7d-4f63-9a8e-3c1d7a4b9e21',
  /** intake: the reporter of a ticket submitted without a device (`<ticket id>`), so a retried submission finds its key. */
  ticketReporter: '9d3b6a2e-1c4f-4e8b-a7d5-6f0e2b9c8a41',
  /** intake: the ReporterErased event of a reporter (`<reporter id>`), so a retried erasure appends it once. */
  reporterErased: '3e7c1b9a-5d2f-4a6e-8b0c-7f4d2e1a9c53',
} as const;

/** Each namespace's 16 bytes, parsed once. */
const namespaceBytes = new Map<string, Buffer>();
/** Two hex digits of each byte value. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A lone surrogate (a pair is one code point in a `u` pattern). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The UUID version 5 (RFC 9562: SHA-1 of the namespace's 16 bytes and `name` in UTF-8) of `name` in
 * `namespace` (one of {@link ID_NAMESPACES}), lower-case: the same id as the `uuid` package's
 * `v5(name, namespace)`, about 2.5 times faster (the namespace parsed once, one SHA-1 call, no byte
 * array copies) — deterministic ids are derived for every event on the main path (issue 13: `uuid`'s v5
 * was 6.7 % of notification's CPU at 200 submissions/s).
 * @throws TypeError when `namespace` is not a UUID, or `name` holds a lone surrogate (no UTF-8 form;
 *   `uuid` throws a URIError there).
 */
export function uuidV5(name: string, namespace: string): string {
  let ns = namespaceBytes.get(namespace);
  if (!ns) {
    if (!UUID_PATTERN.test(namespace)) throw new TypeError(`namespace ${JSON.stringify(namespace)} is not a UUID`);
    ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
    namespaceBytes.set(namespace, ns);
  }
  if (LONE_SURROGATE.test(name)) throw new TypeError('a UUIDv5 name must be well-formed text (it holds a lone surrogate)');
  const length = Buffer.byteLength(name, 'utf8');
  const input = Buffer.allocUnsafe(16 + length);
  ns.copy(input, 0);
  input.write(name, 16, length, 'utf8');
  const b = hash('sha1', input, 'buffer');
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = (i: number) => HEX[b[i]!]!;
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}

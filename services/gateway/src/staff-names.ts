import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { callContext, type GatewayContext } from './context';
import { unaryCall } from './grpc-clients';

/** At most this many distinct staff ids are looked up for one answer (a ticket's story names a handful). */
const MAX_LOOKUPS = 20;

/** How long an answer of identity is kept (ms): a renamed person shows under the new name within a minute. */
const NAME_TTL_MS = 60_000;

/** At most this many staff ids are remembered per gateway (the least recently read go first). */
const MAX_CACHED_NAMES = 5_000;

/**
 * Identity's answers per gateway: staff id → display name ('' when the directory holds no name). Only answers
 * are kept, never failures. The answer does not depend on which staff reader asked (identity answers every staff
 * token alike), so one reader's look-up serves the next.
 */
const nameCaches = new WeakMap<GatewayContext, LRUCache<string, string>>();

function nameCache(ctx: GatewayContext): LRUCache<string, string> {
  let cache = nameCaches.get(ctx);
  if (!cache) {
    cache = new LRUCache<string, string>({ max: MAX_CACHED_NAMES, ttl: NAME_TTL_MS });
    nameCaches.set(ctx, cache);
  }
  return cache;
}

/**
 * The display names of the staff directory for `staffIds`, asked of identity (FindStaffRole, with the
 * caller's token) for a staff caller only: a citizen's or Open311 client's answer names no one. Ids the
 * directory does not hold (the seeded development identities of `npm run token`), and any failed lookup
 * (identity down, a caller identity refuses), yield no name: the reader sees the unit, as before. Answers are
 * kept for {@link NAME_TTL_MS} (at most {@link MAX_CACHED_NAMES} ids); failures are asked again.
 * @returns staff id → display name (only the names found).
 */
async function staffNames(ctx: GatewayContext, request: FastifyRequest, staffIds: Iterable<string>): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (request.caller?.principal.kind !== 'staff') return names;
  const ids = [...new Set([...staffIds].filter((id) => id !== ''))].slice(0, MAX_LOOKUPS);
  const cache = nameCache(ctx);
  await Promise.all(ids.map(async (staffId) => {
    const known = cache.get(staffId);
    if (known !== undefined) {
      if (known !== '') names.set(staffId, known);
      return;
    }
    try {
      const res = await unaryCall(ctx.clients.identity, ctx.clients.identity.findStaffRole, { staffId, unitId: '' }, callContext(request), ctx.callTimeoutMs);
      const name = res.found ? res.displayName : '';
      cache.set(staffId, name);
      if (name) names.set(staffId, name);
    } catch (err) {
      request.log.warn({ err, staffId }, 'staff name lookup failed; showing the unit only');
    }
  }));
  return names;
}

const record = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * A ticket view with `staffName` beside the staff ids a staff reader sees: `firstResponder.staffName` and
 * `reporter.staffName` (the officer who submitted it). Unchanged for other readers and unknown ids.
 */
export async function withStaffNamesInView(ctx: GatewayContext, request: FastifyRequest, view: Record<string, unknown>): Promise<Record<string, unknown>> {
  const fr = record(view['firstResponder']);
  const reporter = record(view['reporter']);
  const names = await staffNames(ctx, request, [str(fr?.['staffId']), str(reporter?.['staffId'])]);
  const named = (o: Record<string, unknown> | undefined) => {
    const name = o ? names.get(str(o['staffId'])) : undefined;
    return o && name ? { ...o, staffName: name } : o;
  };
  if (names.size === 0) return view;
  return { ...view, ...(fr ? { firstResponder: named(fr) } : {}), ...(reporter ? { reporter: named(reporter) } : {}) };
}

/**
 * History entries with `actor.staffName` for staff actors, for a staff reader; unchanged for other readers and
 * unknown ids. The event `data` is left as recorded (its hash covers it).
 */
export async function withStaffNamesInHistory(ctx: GatewayContext, request: FastifyRequest, events: unknown[]): Promise<unknown[]> {
  const staffActor = (e: unknown) => {
    const actor = record(record(e)?.['actor']);
    return actor?.['kind'] === 'staff' ? actor : undefined;
  };
  const names = await staffNames(ctx, request, events.map((e) => str(staffActor(e)?.['id'])));
  if (names.size === 0) return events;
  return events.map((e) => {
    const actor = staffActor(e);
    const name = actor ? names.get(str(actor['id'])) : undefined;
    return name ? { ...record(e), actor: { ...actor, staffName: name } } : e;
  });
}

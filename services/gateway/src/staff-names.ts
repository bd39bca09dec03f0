import type { FastifyRequest } from 'fastify';
import { callContext, type GatewayContext } from './context';
import { unaryCall } from './grpc-clients';

/** At most this many distinct staff ids are looked up for one answer (a ticket's story names a handful). */
const MAX_LOOKUPS = 20;

/**
 * The display names of the staff directory for `staffIds`, asked of identity (FindStaffRole, with the
 * caller's token) for a staff caller only: a citizen's or Open311 client's answer names no one. Ids the
 * directory does not hold (the seeded development identities of `npm run token`), and any failed lookup
 * (identity down, a caller identity refuses), yield no name: the reader sees the unit, as before.
 * @returns staff id → display name (only the names found).
 */
async function staffNames(ctx: GatewayContext, request: FastifyRequest, staffIds: Iterable<string>): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (request.caller?.principal.kind !== 'staff') return names;
  const ids = [...new Set([...staffIds].filter((id) => id !== ''))].slice(0, MAX_LOOKUPS);
  await Promise.all(ids.map(async (staffId) => {
    try {
      const res = await unaryCall(ctx.clients.identity, ctx.clients.identity.findStaffRole, { staffId, unitId: '' }, callContext(request), ctx.callTimeoutMs);
      if (res.found && res.displayName) names.set(staffId, res.displayName);
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

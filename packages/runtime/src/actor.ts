import type { Principal } from '@tongban/auth';
import type { ActorContext } from '@tongban/domain';
import type { EventActor } from '@tongban/eventstore';
import type { ReferenceData } from '@tongban/reference-data';
import { fail } from './grpc-errors';

/**
 * Resolves a verified principal into the decider's actor context (unit kind, division, level).
 * @throws ServiceFailure PERMISSION_DENIED (unknown_unit) when a staff token names a unit that does not exist.
 */
export function actorContext(principal: Principal, ref: ReferenceData): ActorContext {
  if (principal.kind !== 'staff') return { kind: principal.kind, id: principal.id };
  const unit = ref.unitsById.get(principal.unitId);
  if (!unit) throw fail.forbidden('unknown_unit', `unit ${principal.unitId} does not exist`);
  return {
    kind: 'staff', id: principal.id, role: principal.role, unitId: unit.id,
    unitKind: unit.kind, unitDivision: unit.division, unitLevel: unit.level,
  };
}

/** The actor as recorded in event metadata. */
export function eventActor(actor: ActorContext): EventActor {
  return {
    kind: actor.kind,
    id: actor.id,
    ...(actor.unitId ? { unitId: actor.unitId } : {}),
    ...(actor.role ? { role: actor.role } : {}),
  };
}

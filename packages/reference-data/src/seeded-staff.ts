import type { StaffPrincipal } from '@tongban/auth';
import type { StaffRole, Unit } from '@tongban/domain';
import { STAFF_ROLES, seededStaffId } from '@tongban/domain';
import type { ReferenceData } from './index';

/** Thrown when no seeded staff member matches the role and division. */
export class UnknownStaffError extends Error {
  override readonly name = 'UnknownStaffError';
  readonly code = 'unknown_staff';
}

/**
 * The seeded staff member for a role at a division:
 * admin → the administration responsible for the division (a village's township);
 * information-officer → the township administration, jurisdiction = the given division;
 * department → the county's department of `department`; supervisor and hotline → the county or prefecture
 * administration of the division (a township or village is refused); auditor → the prefecture.
 * @throws UnknownStaffError for an unknown division, role or department type, or a supervisor below county.
 */
export function seededStaff(ref: ReferenceData, role: string, division: string, department?: string): StaffPrincipal {
  const d = ref.divisions.get(division);
  if (!d) throw new UnknownStaffError(`unknown division ${division}`);
  const claims = (unit: Unit | undefined, r: StaffRole, jurisdiction?: string): StaffPrincipal => {
    if (!unit) throw new UnknownStaffError(`no ${r} unit for division ${division}`);
    return {
      kind: 'staff', id: seededStaffId(unit.id, r), role: r, unitId: unit.id, division: jurisdiction ?? unit.division,
      ...(unit.departmentType ? { department: unit.departmentType } : {}),
    };
  };
  switch (role) {
    case 'admin':
      return claims(ref.responsibleUnit(division), 'admin');
    case 'information-officer': {
      const township = ref.divisions.ancestorAt(division, 'township');
      if (!township) {
        throw new UnknownStaffError(`information officers work at township or village level; ${d.code} (${d.name}) is a ${d.level}`);
      }
      return claims(ref.responsibleUnit(township.code), 'information-officer', division);
    }
    case 'department': {
      const types = () => ref.catalogue.departmentTypes.map((t) => t.code).join(', ');
      if (!department) throw new UnknownStaffError(`--department <type> is required for department staff (one of ${types()})`);
      if (!ref.catalogue.departmentTypes.some((t) => t.code === department)) throw new UnknownStaffError(`unknown department type ${department} (one of ${types()})`);
      if (d.level === 'prefecture') throw new UnknownStaffError('departments are per county: give a county (or lower) division code');
      return claims(ref.departmentUnit(division, department), 'department');
    }
    case 'supervisor':
    case 'hotline':
      if (d.level !== 'county' && d.level !== 'prefecture') {
        const county = ref.divisions.ancestorAt(division, 'county');
        const prefecture = ref.divisions.ancestorAt(division, 'prefecture');
        throw new UnknownStaffError(`${role} staff work at county or prefecture level; ${d.code} (${d.name}) is a ${d.level}: `
          + `give its county ${county?.code ?? '?'} or the prefecture ${prefecture?.code ?? '?'}`);
      }
      return claims(ref.responsibleUnit(division), role);
    case 'auditor': {
      const top = ref.divisions.ancestorAt(division, 'prefecture');
      return claims(top ? ref.responsibleUnit(top.code) : undefined, 'auditor');
    }
    default:
      throw new UnknownStaffError(`unknown role ${role}; use ${STAFF_ROLES.join(', ')}`);
  }
}

import type { StaffPrincipal } from '@tongban/auth';
import type { StaffRole, Unit } from '@tongban/domain';
import { seededStaffId } from '@tongban/domain';
import type { ReferenceData } from './index';

/** The claims of a seeded staff member's token: a staff principal (see @tongban/auth). */
export type SeededStaffClaims = StaffPrincipal;

/** Thrown when no seeded staff member matches the role and division. */
export class UnknownStaffError extends Error {
  override readonly name = 'UnknownStaffError';
  readonly code = 'unknown_staff';
}

/**
 * The seeded staff member for a role at a division:
 * admin → the administration responsible for the division (a village's township);
 * information-officer → the township administration, jurisdiction = the given division;
 * department → the county's department of `department`; supervisor → the county or prefecture
 * administration of the division (a township or village is refused); auditor → the prefecture.
 * @throws UnknownStaffError for an unknown division, role or department type, or a supervisor below county.
 */
export function seededStaff(ref: ReferenceData, role: string, division: string, department?: string): SeededStaffClaims {
  const d = ref.divisions.get(division);
  if (!d) throw new UnknownStaffError(`unknown division ${division}`);
  const claims = (unit: Unit | undefined, r: StaffRole, jurisdiction?: string): SeededStaffClaims => {
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
      if (!township) throw new UnknownStaffError('an information officer works at a township or village');
      return claims(ref.responsibleUnit(township.code), 'information-officer', division);
    }
    case 'department': {
      if (!department) throw new UnknownStaffError('--department <type> is required for department staff');
      if (!ref.catalogue.departmentTypes.some((t) => t.code === department)) throw new UnknownStaffError(`unknown department type ${department}`);
      return claims(ref.departmentUnit(division, department), 'department');
    }
    case 'supervisor':
      if (d.level !== 'county' && d.level !== 'prefecture') throw new UnknownStaffError('supervisors work at county or prefecture level');
      return claims(ref.responsibleUnit(division), 'supervisor');
    case 'auditor': {
      const top = ref.divisions.lineage(division).find((x) => x.level === 'prefecture');
      return claims(top ? ref.responsibleUnit(top.code) : undefined, 'auditor');
    }
    default:
      throw new UnknownStaffError(`unknown role ${role}; use information-officer, admin, department, supervisor or auditor`);
  }
}

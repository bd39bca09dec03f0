import type { Catalogue } from './catalogue';
import type { DivisionIndex, DivisionLevel } from './divisions';

/** administration: the government of a division; department: a county bureau of a department type. */
export type UnitKind = 'administration' | 'department';

/** An organisational unit that can hold tickets. */
export interface Unit {
  /** Stable id: `adm-<division>` or `dep-<county>-<departmentType>`. */
  id: string;
  name: string;
  kind: UnitKind;
  /** Department type code for departments; undefined for administrations. */
  departmentType?: string;
  /** Division the unit serves (its jurisdiction is this division's subtree). */
  division: string;
  level: DivisionLevel;
}

/** A staff member seeded per unit so that the stack is usable at first start. */
export interface StaffMember {
  id: string;
  unitId: string;
  role: StaffRole;
  name: string;
}

/**
 * Every staff role (see the permission table in ticket/permissions.ts). `hotline`: 12345 hotline staff of a
 * county or the prefecture (issue 14 item 4): they read the tickets of their jurisdiction and record the
 * callbacks (回访) that go to the hotline (TONGBAN_CALLBACK_BY=hotline).
 */
export const STAFF_ROLES = ['information-officer', 'admin', 'department', 'supervisor', 'auditor', 'hotline'] as const;

/** A staff role. */
export type StaffRole = (typeof STAFF_ROLES)[number];

/** Id of the administration unit of a division. */
export function administrationUnitId(division: string): string {
  return `adm-${division}`;
}

/** Id of a county's department of a type. */
export function departmentUnitId(county: string, departmentType: string): string {
  return `dep-${county}-${departmentType}`;
}

/**
 * Builds the units: one administration unit per prefecture, county and township, and per county one
 * department per department type of the catalogue.
 */
export function buildUnits(divisions: DivisionIndex, catalogue: Catalogue): Unit[] {
  const units: Unit[] = [];
  for (const d of divisions.all()) {
    if (d.level === 'village') continue;
    units.push({ id: administrationUnitId(d.code), name: d.name, kind: 'administration', division: d.code, level: d.level });
    if (d.level !== 'county') continue;
    for (const t of catalogue.departmentTypes) {
      units.push({
        id: departmentUnitId(d.code, t.code),
        name: `${d.name}${t.zh}`,
        kind: 'department',
        departmentType: t.code,
        division: d.code,
        level: 'county',
      });
    }
  }
  return units;
}

/** The seeded staff member of a unit for a role: `<role>@<unitId>`. */
export function seededStaffId(unitId: string, role: StaffRole): string {
  return `${role}@${unitId}`;
}

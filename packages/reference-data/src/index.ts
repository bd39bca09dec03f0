import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Catalogue, type Division, DivisionIndex, type StaffMember, type StaffRole, type Unit,
  administrationUnitId, buildUnits, departmentUnitId, seededStaffId,
} from '@tongban/domain';

/** Folder holding liangshan-divisions.json, service-catalog.json and seed-cases.json (a copy of shared/data). */
export const DATA_DIR = join(__dirname, '..', 'data');

/** Reference data as every service sees it, with lookups. */
export interface ReferenceData {
  divisions: DivisionIndex;
  catalogue: Catalogue;
  units: Unit[];
  unitsById: ReadonlyMap<string, Unit>;
  /** One seeded staff member per unit and role that the unit's kind allows. */
  staff: StaffMember[];
  /** The administration unit responsible for a division (a village's township); undefined when unknown. */
  responsibleUnit(division: string): Unit | undefined;
  /** The county department of a type for the county containing `division`. */
  departmentUnit(division: string, departmentType: string): Unit | undefined;
  /**
   * The unit that supervises a unit (escalation target): the administration one level up
   * (township → county → prefecture); for a county department, its county's administration.
   */
  supervisingUnit(unitId: string): Unit | undefined;
}

/** Reads a JSON file of the data folder. */
export function readDataFile<T>(name: string, dir = DATA_DIR): T {
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
}

/**
 * Loads divisions and the catalogue (from `dir`, default the package copy) and derives the units and
 * seeded staff. Staff seeding: an admin per unit (department staff for departments), a supervisor per
 * county and prefecture administration, an information officer and an auditor at the prefecture.
 * @throws Error when a file is missing or malformed.
 */
export function loadReferenceData(dir = process.env['TONGBAN_DATA_DIR'] ?? DATA_DIR): ReferenceData {
  const divisions = new DivisionIndex(readDataFile<Division[]>('liangshan-divisions.json', dir));
  const catalogue = readDataFile<Catalogue>('service-catalog.json', dir);
  const units = buildUnits(divisions, catalogue);
  const unitsById = new Map(units.map((u) => [u.id, u]));
  const staff = units.flatMap((u) => seededRoles(u).map((role): StaffMember => ({ id: seededStaffId(u.id, role), unitId: u.id, role, name: `${u.name} ${role}` })));
  return {
    divisions,
    catalogue,
    units,
    unitsById,
    staff,
    responsibleUnit(division) {
      const d = divisions.responsibleDivision(division);
      return d ? unitsById.get(administrationUnitId(d.code)) : undefined;
    },
    departmentUnit(division, departmentType) {
      const county = divisions.ancestorAt(division, 'county');
      return county ? unitsById.get(departmentUnitId(county.code, departmentType)) : undefined;
    },
    supervisingUnit(unitId) {
      const unit = unitsById.get(unitId);
      if (!unit) return undefined;
      // A county department is supervised by its county's administration.
      if (unit.kind === 'department') return unitsById.get(administrationUnitId(unit.division));
      const division = divisions.get(unit.division);
      const parent = division?.parent ? divisions.get(division.parent) : undefined;
      return parent ? unitsById.get(administrationUnitId(parent.code)) : undefined;
    },
  };
}

function seededRoles(unit: Unit): StaffRole[] {
  if (unit.kind === 'department') return ['department'];
  if (unit.level === 'prefecture') return ['admin', 'supervisor', 'auditor', 'hotline'];
  if (unit.level === 'county') return ['admin', 'supervisor', 'hotline'];
  return ['admin', 'information-officer'];
}
export * from './seeded-staff';
export * from './location';

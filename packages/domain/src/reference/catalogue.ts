/** SLA policy: hours per leg and when to warn (fraction of the leg). Source: service-catalog.json. */
export interface SlaPolicyConfig {
  firstResponseHours: number;
  resolutionHours: number;
  warnAtFraction: number;
}

/** A department type, e.g. housing-construction (one department per county per type). */
export interface DepartmentType {
  code: string;
  zh: string;
  en: string;
}

/** A category of problem (an Open311 "service"). */
export interface CatalogueService {
  service_code: string;
  zh: string;
  en: string;
  group: string;
  /** Department type that normally handles it, or null. */
  department: string | null;
  keywords: string[];
}

/** The service catalogue (shared/data/service-catalog.json). */
export interface Catalogue {
  slaPolicy: SlaPolicyConfig;
  departmentTypes: DepartmentType[];
  services: CatalogueService[];
}

/** The catalogue entry for a service code, or undefined. */
export function findService(catalogue: Catalogue, serviceCode: string): CatalogueService | undefined {
  return catalogue.services.find((s) => s.service_code === serviceCode);
}

import type { CatalogueService } from '@tongban/domain';
import { translator } from '@tongban/i18n';
import type { ReferenceData } from '@tongban/reference-data';
import type { Open311Language } from './locale';
import { parseDecimal, parseW3cDatetime } from './params';

/**
 * Open311 service definitions: the attributes (extra form fields) of each service. Every service has
 * `division`: the township-level division (or county, or the prefecture) the report belongs to, which
 * decides the unit it is routed to; it is needed when nothing else pins the place (only lat/long or
 * only an address text; see requests.ts). `dangerous-structure` asks whether anyone is at risk now
 * (required); `sanitation` asks what kind of waste it is (a multivaluelist, optional).
 */

/** A text in both languages. */
export interface Bilingual {
  zh: string;
  en: string;
}

/** An option of a list attribute. */
interface AttributeOption {
  key: string;
  name: Bilingual;
}

/** GeoReport v2 attribute datatypes. */
type AttributeDatatype = 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';

/** One attribute of a service definition. */
export interface AttributeDefinition {
  code: string;
  datatype: AttributeDatatype;
  required: boolean;
  /** False: information only (shown, never asked). */
  variable: boolean;
  order: number;
  description: Bilingual;
  datatypeDescription: Bilingual;
  values?: readonly AttributeOption[];
}

/** The code of the division attribute. */
export const DIVISION_ATTRIBUTE = 'division';

/** A text of the catalogues (packages/i18n) in both Open311 languages. */
function bilingual(key: string): Bilingual {
  return { zh: translator('zh-Hans')(key), en: translator('en')(key) };
}

/** A list question of the catalogues (`question.<code>.name`, `question.<code>.values.<key>`), the ticket view's source too. */
function listQuestion(code: string, datatype: 'singlevaluelist' | 'multivaluelist', required: boolean, keys: readonly string[], datatypeDescription: Bilingual): AttributeDefinition {
  return {
    code, datatype, required, variable: true, order: 1,
    description: bilingual(`question.${code}.name`),
    datatypeDescription,
    values: keys.map((key) => ({ key, name: bilingual(`question.${code}.values.${key}`) })),
  };
}

const AT_RISK = listQuestion('at_risk', 'singlevaluelist', true, ['yes', 'no'], { zh: '选择“是”或“否”。', en: 'Choose yes or no.' });

const WASTE_KIND = listQuestion('waste_kind', 'multivaluelist', false, ['household', 'construction', 'sewage', 'dead-animal', 'other'], { zh: '选择一项或多项。', en: 'Choose one or more.' });

/** Service-specific attributes (the division attribute comes after them). */
const SPECIFIC: Readonly<Record<string, readonly AttributeDefinition[]>> = {
  'dangerous-structure': [AT_RISK],
  sanitation: [WASTE_KIND],
};

let divisionOptions: { ref: ReferenceData; options: AttributeOption[] } | undefined;

/** The division options: the prefecture, its counties and their townships, by code (cached per reference data). */
function divisionOptionsOf(ref: ReferenceData): readonly AttributeOption[] {
  if (divisionOptions?.ref === ref) return divisionOptions.options;
  const options = ref.divisions.all()
    .filter((d) => d.level !== 'village')
    .sort((a, b) => a.code.localeCompare(b.code))
    .map((d): AttributeOption => {
      const county = d.level === 'township' ? ref.divisions.ancestorAt(d.code, 'county') : undefined;
      const name = county ? `${county.name} ${d.name}` : d.name;
      return { key: d.code, name: { zh: name, en: name } };
    });
  divisionOptions = { ref, options };
  return options;
}

/** The attributes of a service, in order. */
export function attributesOf(service: CatalogueService, ref: ReferenceData): AttributeDefinition[] {
  const specific = SPECIFIC[service.service_code] ?? [];
  const division: AttributeDefinition = {
    code: DIVISION_ATTRIBUTE,
    datatype: 'singlevaluelist',
    required: false,
    variable: true,
    order: specific.length + 1,
    description: {
      zh: '问题所在的乡镇（街道）或县（市）。可不填：提供经纬度时按所在县（市）及地址中写明的乡镇、村确定；也可提供 address_id（行政区划代码，可到村）。',
      en: 'The township (or county) where the problem is. Optional: without it the division is found from lat/long (the county containing the point, narrowed by a township or village named in address_string or the description) or from address_id (a division code, down to the village).',
    },
    datatypeDescription: { zh: '选择一个行政区划。', en: 'Choose one division.' },
    values: divisionOptionsOf(ref),
  };
  return [...specific, division];
}

/**
 * Checks the submitted values of one attribute against its definition.
 * @returns the value to store (multivaluelist: keys joined by ","), or an error description.
 */
export function checkAttribute(def: AttributeDefinition, values: readonly string[], lang: Open311Language): { value: string } | { error: string } {
  const label = `attribute[${def.code}]`;
  const name = lang === 'en' ? def.description.en : def.description.zh;
  if (def.datatype !== 'multivaluelist' && values.length > 1) return { error: `${label} takes one value (${name})` };
  const keys = new Set((def.values ?? []).map((v) => v.key));
  switch (def.datatype) {
    case 'singlevaluelist':
    case 'multivaluelist': {
      const unknown = values.filter((v) => !keys.has(v));
      if (unknown.length > 0) return { error: `${label}: ${unknown.join(', ')} is not one of its values (${name})` };
      return { value: [...new Set(values)].join(',') };
    }
    case 'number':
      return parseDecimal(values[0] ?? '') === undefined ? { error: `${label} must be a number` } : { value: values[0]!.trim() };
    case 'datetime':
      return parseW3cDatetime(values[0] ?? '') ? { value: values[0]!.trim() } : { error: `${label} must be a W3C datetime with a time zone` };
    case 'string':
      return /[\r\n]/.test(values[0] ?? '') ? { error: `${label} must be a single line` } : { value: values[0] ?? '' };
    case 'text':
      return { value: values[0] ?? '' };
  }
}

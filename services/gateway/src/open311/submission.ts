import { MAX_TEXT_LENGTH, findService, isBlankText } from '@tongban/domain';
import { type Language, translator } from '@tongban/i18n';
import { type CoordinateSystem, type ReferenceData, locatorFor, parseCoordinateSystem } from '@tongban/reference-data';
import { DIVISION_ATTRIBUTE, attributesOf, checkAttribute } from './definitions';
import { Open311Error, open311Errors } from './errors';
import { CONTENT_LANGUAGE, type Open311Language } from './locale';
import { serviceName } from './mapping';
import { type Open311Params, attributeParams, codePointLength, containsForbiddenChars, containsMarkup, deviceIdParam, parseDecimal } from './params';

/**
 * POST requests: from the form parameters to a submission, checking everything GeoReport v2 and the
 * platform require and reporting every problem at once.
 *
 * Which division a report goes to (it decides the unit it is routed to):
 * 1. `attribute[division]` (a township, county or the prefecture; see the service definition), else
 * 2. `address_id`, read as a division code (down to the village), else
 * 3. nothing given here: intake derives it from lat/long (`coordinate_system` WGS-84 — the default, as
 *    GeoReport v2 says — or GCJ-02; the county whose boundary contains the point) narrowed by a township
 *    or village named in address_string or the description, or from address_string alone when it names
 *    a place unambiguously (see `Locator` in @tongban/reference-data). A point outside Liangshan is
 *    refused here, with the other problems, naming lat/long.
 * When both 1 and 2 are given they must lie on one line of the hierarchy; the more precise one is kept.
 */

/** Largest lengths of the short fields. */
export const FIELD_LIMITS = {
  address_string: 500, email: 254, first_name: 100, last_name: 100, phone: 50, account_id: 128, device_id: 128, media_url: 2000,
} as const;

/**
 * The parameters of a POST requests form that take one value: given twice (non-empty), which one was meant is
 * unknown (`lat=27.8&…&lat=28` would place the report by whichever came first), so it is refused naming it.
 */
const SINGLE_VALUED = [
  'api_key', 'jurisdiction_id', 'service_code', 'lat', 'long', 'coordinate_system', 'address_string', 'address_id', 'description', 'media_url',
  'first_name', 'last_name', 'phone', 'email', 'account_id', 'device_id', 'deviceid',
] as const;

/** Largest title derived from a description: graphemes, and code points. */
const TITLE_GRAPHEMES = 50;
const TITLE_CODE_POINTS = 200;

/** What to submit to intake. */
export interface Open311Submission {
  serviceCode: string;
  division: string;
  title: string;
  description: string;
  address: string;
  lat?: number;
  long?: number;
  /** Datum of lat/long (WGS-84 unless `coordinate_system` says GCJ-02). */
  coordinateSystem: CoordinateSystem;
  attributes: Record<string, string>;
  mediaUrl: string;
  reporterName: string;
  reporterPhone: string;
  reporterEmail: string;
  accountId: string;
  /** The device (device_id, or FixMyStreet's `deviceid`); empty when not given. */
  deviceId: string;
}

/**
 * A title from a description: its first line, at most 50 characters as people see them (grapheme
 * clusters, so a base letter keeps its combining marks and an emoji sequence stays whole), with "…"
 * when cut; the service name when there is no description.
 */
export function titleOf(description: string, fallback: string): string {
  // The first line that shows something: a line of invisible characters only would make a blank title (refused).
  const firstLine = description.split(/\r\n|\r|\n/).map((l) => l.trim()).find((l) => !isBlankText(l)) ?? '';
  if (firstLine === '') return fallback;
  const segmenter = new Intl.Segmenter('zh', { granularity: 'grapheme' });
  let title = '';
  let graphemes = 0;
  for (const { segment } of segmenter.segment(firstLine)) {
    if (graphemes === TITLE_GRAPHEMES || codePointLength(title + segment) > TITLE_CODE_POINTS - 1) return `${title}…`;
    title += segment;
    graphemes++;
  }
  return title;
}

const CJK = /^[\p{Script=Han}\p{Script=Yi}\s]+$/u;

/** The reporter's name: family name first for Chinese and Yi names, "first last" otherwise. */
export function reporterName(first: string, last: string): string {
  if (first && last && CJK.test(first) && CJK.test(last)) return `${last}${first}`;
  return [first, last].filter((p) => p !== '').join(' ');
}

/** True for an absolute http or https URL (media_url may not be javascript:, file: or data:). */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Checks a free text: length in code points, no markup, no control characters. */
export function checkText(field: string, value: string, max: number, markupAllowed = false): string[] {
  const errors: string[] = [];
  const length = codePointLength(value);
  if (length > max) errors.push(`${field} is ${length} characters long; at most ${max} are allowed`);
  if (!markupAllowed && containsMarkup(value)) errors.push(`${field} must not contain HTML or code`);
  if (containsForbiddenChars(value)) errors.push(`${field} contains control characters`);
  return errors;
}

/**
 * Reads a POST requests form.
 * @throws Open311Error 404 (unknown service_code) or 400 listing every problem.
 */
export function readSubmission(params: Open311Params, ref: ReferenceData, lang: Open311Language): Open311Submission {
  const errors = params.repeated(SINGLE_VALUED);
  const t = translator(CONTENT_LANGUAGE[lang] as Language);
  const code = params.get('service_code');
  const service = code === undefined ? undefined : findService(ref.catalogue, code);
  if (code === undefined) errors.push('service_code is required');
  else if (!service) throw open311Errors.notFound(`service_code ${code} was not found`);

  const text = (field: keyof typeof FIELD_LIMITS, value = params.get(field)): string => {
    if (value === undefined) return '';
    errors.push(...checkText(field, value, FIELD_LIMITS[field]));
    return value;
  };

  // Location: lat & long (WGS84), address_string or address_id — at least one.
  const latText = params.get('lat');
  const longText = params.get('long');
  let lat: number | undefined;
  let long: number | undefined;
  if (latText !== undefined || longText !== undefined) {
    if (latText === undefined || longText === undefined) errors.push('lat and long must be given together');
    if (latText !== undefined) {
      lat = parseDecimal(latText);
      if (lat === undefined || lat < -90 || lat > 90) errors.push(`lat must be a number from -90 to 90 (WGS84), not ${latText}`);
    }
    if (longText !== undefined) {
      long = parseDecimal(longText);
      if (long === undefined || long < -180 || long > 180) errors.push(`long must be a number from -180 to 180 (WGS84), not ${longText}`);
    }
  }
  const hasLatLong = lat !== undefined && long !== undefined;
  const systemText = params.get('coordinate_system');
  const coordinateSystem = systemText === undefined ? 'WGS-84' : parseCoordinateSystem(systemText);
  if (!coordinateSystem) errors.push(t('open311.error.coordinateSystem', { value: systemText }));
  const address = text('address_string');
  const addressId = params.get('address_id')?.trim();
  if (addressId !== undefined && !ref.divisions.get(addressId)) {
    errors.push(`address_id ${addressId} is not a division code of this jurisdiction (6, 9 or 12 digits, e.g. 513437100001)`);
  }
  if (latText === undefined && longText === undefined && !address && addressId === undefined) {
    errors.push('a location is required: lat and long, address_string or address_id');
  }

  // Attributes of the service definition.
  const { values, malformed } = attributeParams(params);
  for (const name of malformed) errors.push(`${name} is not an attribute parameter (attribute[code] or attribute[code][])`);
  const attributes: Record<string, string> = {};
  if (service) {
    const defs = attributesOf(service, ref);
    for (const unknown of [...values.keys()].filter((c) => !defs.some((d) => d.code === c))) {
      errors.push(`attribute[${unknown}] is not an attribute of ${service.service_code}`);
    }
    for (const def of defs) {
      const given = values.get(def.code);
      if (!given || given.length === 0) {
        if (def.required) errors.push(`attribute[${def.code}] is required (${lang === 'en' ? def.description.en : def.description.zh})`);
        continue;
      }
      const checked = checkAttribute(def, given, lang);
      if ('error' in checked) errors.push(checked.error);
      else attributes[def.code] = checked.value;
    }
  }

  // The division: attribute[division], else address_id (see the module comment).
  const candidates = [attributes[DIVISION_ATTRIBUTE], addressId && ref.divisions.get(addressId) ? addressId : undefined]
    .filter((d): d is string => d !== undefined);
  let division = '';
  if (candidates.length === 2 && !ref.divisions.isWithin(candidates[1]!, candidates[0]!) && !ref.divisions.isWithin(candidates[0]!, candidates[1]!)) {
    errors.push(`attribute[division] ${candidates[0]} and address_id ${candidates[1]} name different places`);
  } else if (candidates.length > 0) {
    division = candidates.reduce((a, b) => (ref.divisions.isWithin(b, a) ? b : a));
  } else if (hasLatLong && coordinateSystem && !locatorFor(ref.divisions).countyAt([long!, lat!], coordinateSystem)) {
    errors.push(t('open311.error.latLongOutside', { lat: latText, long: longText, system: coordinateSystem }));
  }

  const descriptionText = params.get('description') ?? '';
  errors.push(...checkText('description', descriptionText, MAX_TEXT_LENGTH));
  const mediaUrl = text('media_url');
  if (mediaUrl && !isHttpUrl(mediaUrl)) errors.push('media_url must be an http or https URL');
  const device = deviceIdParam(params);
  errors.push(...device.errors);
  const submission: Open311Submission = {
    serviceCode: code ?? '',
    division,
    title: '',
    description: '',
    address,
    ...(hasLatLong ? { lat: lat!, long: long! } : {}),
    coordinateSystem: coordinateSystem ?? 'WGS-84',
    attributes,
    mediaUrl,
    reporterName: reporterName(text('first_name'), text('last_name')),
    reporterPhone: text('phone'),
    reporterEmail: text('email'),
    accountId: text('account_id'),
    deviceId: text('device_id', device.deviceId),
  };
  if (errors.length > 0) throw new Open311Error(400, errors.map((description) => ({ code: 400, description })));
  const name = service ? serviceName(service, 'zh') : submission.serviceCode;
  // A description is optional in Open311 but not on the platform: the service name stands in for it.
  submission.description = isBlankText(descriptionText) ? name : descriptionText;
  submission.title = titleOf(descriptionText, name);
  return submission;
}

/**
 * Settings of the Open311 endpoint, from the environment (all optional):
 * - TONGBAN_OPEN311_JURISDICTION: the jurisdiction_id (default `lsz.gov.cn`, Liangshan prefecture's
 *   site); a request naming another jurisdiction_id gets 404.
 * - TONGBAN_OPEN311_URL: public URL of the endpoint for discovery (default: from the request's Host and
 *   X-Forwarded-Proto, + `/open311/v2`).
 * - TONGBAN_OPEN311_ENDPOINT_TYPE: `production` (default) or `test`, as discovery announces it.
 * - TONGBAN_OPEN311_CONTACT, TONGBAN_OPEN311_KEY_SERVICE: discovery's contact and key_service texts.
 */

/** The Open311 settings. */
export interface Open311Config {
  jurisdictionId: string;
  /** Public URL of the v2 endpoint; undefined: derived from each request. */
  publicUrl: string | undefined;
  endpointType: 'production' | 'test';
  contact: string;
  keyService: string;
}

/** The default jurisdiction_id. */
const DEFAULT_JURISDICTION_ID = 'lsz.gov.cn';

/**
 * When the service list or a service definition last changed (discovery's changeset; clients refresh
 * cached definitions when it moves). Bump it with every change of definitions.ts or the catalogue.
 */
export const DEFINITIONS_CHANGESET = '2026-11-29 00:00';

/** Reads the settings from an environment map. */
export function loadOpen311Config(env: NodeJS.ProcessEnv = process.env): Open311Config {
  return {
    jurisdictionId: env['TONGBAN_OPEN311_JURISDICTION'] || DEFAULT_JURISDICTION_ID,
    publicUrl: env['TONGBAN_OPEN311_URL'] || undefined,
    endpointType: env['TONGBAN_OPEN311_ENDPOINT_TYPE'] === 'test' ? 'test' : 'production',
    contact: env['TONGBAN_OPEN311_CONTACT'] || '凉山州通办平台运维 / Tongban operators, Liangshan Yi Autonomous Prefecture',
    keyService: env['TONGBAN_OPEN311_KEY_SERVICE']
      || 'API keys are issued per client application by the platform administrators (npm run apikey -- create --name <app>).',
  };
}

import { findService } from '@tongban/domain';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFINITIONS_CHANGESET } from './config';
import { type Open311Context, checkJurisdiction, languageOf, queryParams, sendDocument } from './context';
import { open311Errors } from './errors';
import { CONTENT_TYPES, type Open311Format, OPEN311_FORMATS, list } from './format';
import { serviceDefinition, serviceElement } from './mapping';

/** The spec token of GeoReport v2 in discovery documents. */
const GEOREPORT_V2_SPECIFICATION = 'http://wiki.open311.org/GeoReport_v2';

/** The public URL of the v2 endpoint: configured, or from the request (X-Forwarded-Proto/Host honoured). */
function endpointUrl(request: FastifyRequest, configured: string | undefined): string {
  if (configured) return configured.replace(/\/+$/, '');
  const forwardedProto = request.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwardedProto) ? forwardedProto[0] : forwardedProto)?.split(',')[0]?.trim() || request.protocol;
  return `${proto}://${request.host}/open311/v2`;
}

/** The origin of the site (`https://host`), from the Open311 endpoint URL. */
export function siteOrigin(request: FastifyRequest, configured: string | undefined): string {
  return new URL(endpointUrl(request, configured)).origin;
}

/**
 * GET discovery.{xml,json} (Service Discovery), services.{xml,json} (GET Service List) and
 * services/{service_code}.{xml,json} (GET Service Definition). Names and texts in zh-Hans, or in
 * English when Accept-Language prefers it.
 */
export function registerCatalogueRoutes(app: FastifyInstance, ctx: Open311Context): void {
  const { catalogue } = ctx.ref;
  for (const format of OPEN311_FORMATS) {
    app.get(`/v2/discovery.${format}`, {
      schema: { tags: ['open311'], summary: `Service discovery (${format.toUpperCase()})`, description: 'Endpoint, formats, jurisdiction, contact.' },
    }, async (request, reply) => {
      checkJurisdiction(queryParams(request), ctx);
      const { config } = ctx;
      return sendDocument(reply, format, 'discovery', {
        changeset: DEFINITIONS_CHANGESET,
        contact: config.contact,
        key_service: config.keyService,
        jurisdiction_id: config.jurisdictionId,
        endpoints: list('endpoint', [{
          specification: GEOREPORT_V2_SPECIFICATION,
          url: endpointUrl(request, config.publicUrl),
          changeset: DEFINITIONS_CHANGESET,
          type: config.endpointType,
          formats: list('format', OPEN311_FORMATS.map((f: Open311Format) => CONTENT_TYPES[f].split(';')[0]!)),
        }]),
      });
    });

    app.get(`/v2/services.${format}`, {
      schema: { tags: ['open311'], summary: `Service list (${format.toUpperCase()})`, description: 'The catalogue: service_code, service_name, description, metadata, type, keywords, group. zh-Hans, or English with Accept-Language: en.' },
    }, async (request, reply) => {
      checkJurisdiction(queryParams(request), ctx);
      const lang = languageOf(request);
      return sendDocument(reply, format, 'services', list('service', catalogue.services.map((s) => serviceElement(s, catalogue, lang))), lang);
    });

    app.get<{ Params: { service_code: string } }>(`/v2/services/:service_code.${format}`, {
      schema: { tags: ['open311'], summary: `Service definition (${format.toUpperCase()})`, description: 'The attributes of a service (404 for an unknown service_code).' },
    }, async (request, reply) => {
      checkJurisdiction(queryParams(request), ctx);
      const service = findService(catalogue, request.params.service_code);
      if (!service) throw open311Errors.notFound(`service_code ${request.params.service_code} was not found`);
      const lang = languageOf(request);
      return sendDocument(reply, format, 'service_definition', serviceDefinition(service, ctx.ref, lang), lang);
    });
  }
}

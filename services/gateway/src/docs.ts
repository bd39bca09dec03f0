import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Route-schema marker of an operation whose JSON body may be omitted (removed from the published document). */
export const OPTIONAL_BODY = 'x-optional-body';

/** preValidation hook of the OPTIONAL_BODY routes: an omitted (or empty JSON) body becomes `{}`. */
export async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

/**
 * Marks request bodies of operations carrying OPTIONAL_BODY as not required (@fastify/swagger always
 * says required, but the gateway treats a missing body as `{}` on those routes) and drops the marker.
 */
function markOptionalBodies<T>(document: T): T {
  const paths = (document as { paths?: Record<string, Record<string, Record<string, unknown>>> }).paths ?? {};
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      if (operation[OPTIONAL_BODY] === undefined) continue;
      const body = operation['requestBody'] as { required?: boolean } | undefined;
      if (body) body.required = false;
      delete operation[OPTIONAL_BODY];
    }
  }
  return document;
}

/**
 * Registers @fastify/swagger (OpenAPI 3.1 built from the route schemas; served at /openapi.json by the
 * routes) and, when `ui`, swagger-ui at /docs. Must be registered before the routes.
 */
export function registerDocs(app: FastifyInstance, options: { ui: boolean }): void {
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tongban API',
        version: '1.0.0',
        description: 'Civic ticketing: reports routed to the responsible administration, held to time limits. '
          + 'Errors are application/problem+json (RFC 9457) with a machine-readable `reason`. '
          + 'State-changing routes accept `If-Match: <revision>` and answer with `ETag: "<revision>"`.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      tags: [
        { name: 'tickets', description: 'Submit, read, list' },
        { name: 'commands', description: 'State changes; If-Match: <revision> → 412 on mismatch; ETag: the new revision' },
        { name: 'inbox' }, { name: 'reference' }, { name: 'auth' }, { name: 'health' }, { name: 'test' },
        { name: 'privacy', description: 'Reporter erasure (issue 14 item 6)' },
        { name: 'open311', description: 'Open311 GeoReport v2 (XML and JSON; form-urlencoded POSTs; Open311 error documents, not problem+json)' },
      ],
    },
    transformObject: (document) => markOptionalBodies('openapiObject' in document ? document.openapiObject : document.swaggerObject),
  });
  if (options.ui) app.register(swaggerUi, { routePrefix: '/docs' });
}

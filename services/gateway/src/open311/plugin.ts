import type { ReferenceData } from '@tongban/reference-data';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context';
import { type RateLimitSettings, open311Limits } from '../rate-limit';
import { Open311Callers } from './callers';
import type { Open311Config } from './config';
import { type Open311Context, sendErrors } from './context';
import { Open311Error, open311Errors, toOpen311Error } from './errors';
import { formatOfPath } from './format';
import { registerCatalogueRoutes } from './routes-catalogue';
import { registerRequestRoutes } from './routes-requests';
import { registerUpdateRoutes } from './routes-updates';

/**
 * Open311 GeoReport v2 under /open311/v2, in XML and JSON (the path suffix chooses), with the
 * FixMyStreet servicerequestupdates extension. Its own encapsulated scope: POST bodies are
 * application/x-www-form-urlencoded only (read as text and parsed with URLSearchParams), and every
 * error — ours, a service's, fastify's, an unknown path under /open311 — is an Open311 errors document
 * (404, 403 or 400, 429 when rate limited; never a 5xx, never HTML), in the format of the path.
 */
export function registerOpen311(
  app: FastifyInstance, gateway: GatewayContext, options: { config: Open311Config; ref: ReferenceData; rateLimits: RateLimitSettings },
): void {
  app.register(async (open311) => {
    // Created here: the rate limiter's decorator exists once the plugins registered before have loaded.
    const ctx: Open311Context = {
      gateway,
      config: options.config,
      ref: options.ref,
      callers: new Open311Callers(gateway),
      limits: open311Limits(open311, options.rateLimits),
    };
    open311.removeAllContentTypeParsers();
    // Kept as bytes: formParams decodes them in the declared charset (UTF-8 by default), refusing what is not text.
    open311.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_request, body, done) => {
      done(null, typeof body === 'string' ? Buffer.from(body) : body);
    });
    open311.addContentTypeParser('*', (_request, _payload, done) => {
      done(new Open311Error(400, [{ code: 415, description: 'POST bodies must be application/x-www-form-urlencoded' }]), undefined);
    });

    open311.setErrorHandler((err, request, reply) => {
      const mapped = toOpen311Error(err);
      if (mapped.extras.serverSide) request.log.warn({ err, status: mapped.status }, 'open311 request failed behind the gateway');
      else request.log.info({ status: mapped.status, errors: mapped.errors.length }, 'open311 request rejected');
      return sendErrors(reply, formatOfPath(request.url), mapped);
    });
    open311.setNotFoundHandler((request, reply) => sendErrors(
      reply, formatOfPath(request.url), open311Errors.notFound(`no Open311 resource ${request.method} ${request.url.split('?')[0] ?? ''}`),
    ));

    registerCatalogueRoutes(open311, ctx);
    registerRequestRoutes(open311, ctx);
    registerUpdateRoutes(open311, ctx);
  }, { prefix: '/open311' });
}

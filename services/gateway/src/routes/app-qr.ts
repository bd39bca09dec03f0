import type { FastifyInstance, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { DivisionSearch } from '../division-search';
import { HttpProblem } from '../problem';
import { problemResponses } from '../schemas';

/** Where the citizen app is served. */
const CITIZEN_APP_PATH = '/app/';

/**
 * The public address of the site (scheme, host, port): TONGBAN_PUBLIC_URL when set (behind a proxy or
 * for printed posters that must name the public host), else the request's own (X-Forwarded-Proto honoured).
 */
export function publicOrigin(request: FastifyRequest, configured = process.env['TONGBAN_PUBLIC_URL']): string {
  if (configured) return new URL(configured).origin;
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim() || request.protocol;
  return `${proto}://${request.host}`;
}

/**
 * GET /app/qr.svg?division=<code>: a QR code (SVG, `qrcode` package, error correction M) of the citizen
 * app's address preset to the village or township — `<origin>/app/?division=<code>` — for posters in
 * village offices. The division must exist (404 unknown_division). Cached for a day.
 */
export function registerAppQrRoute(app: FastifyInstance, divisions: DivisionSearch): void {
  app.get<{ Querystring: { division: string } }>(`${CITIZEN_APP_PATH}qr.svg`, {
    schema: {
      tags: ['reference'],
      summary: 'QR code (SVG) opening the citizen app preset to a division, for posters',
      querystring: {
        type: 'object',
        required: ['division'],
        additionalProperties: false,
        properties: { division: { type: 'string', pattern: '^[0-9]{4,12}$', description: 'Village or township code (any division code works).' } },
      },
      response: { 200: { description: 'image/svg+xml', type: 'string' }, ...problemResponses(400, 404) },
    },
  }, async (request, reply) => {
    const division = divisions.get(request.query.division);
    if (!division) throw new HttpProblem(404, 'unknown_division', `unknown division ${request.query.division}`);
    const url = `${publicOrigin(request)}${CITIZEN_APP_PATH}?division=${division.code}`;
    const svg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    const titled = svg.replace('<svg ', `<svg role="img" aria-label="${escapeXml(`${[...division.path.slice(1).map((p) => p.name), division.name].join(' ')} · ${url}`)}" `);
    return reply.type('image/svg+xml; charset=utf-8').header('cache-control', 'public, max-age=86400').send(titled);
  });
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

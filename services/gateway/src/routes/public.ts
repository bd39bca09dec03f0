import { translator } from '@tongban/i18n';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type GatewayContext, parseUpstreamJson } from '../context';
import { unaryCall } from '../grpc-clients';
import { requestLanguage } from '../language';
import { Open311Callers } from '../open311/callers';
import type { ReferenceData } from '@tongban/reference-data';
import { HttpProblem } from '../problem';
import { publicOrigin } from './app-qr';
import { problemResponses, openObjectSchema } from '../schemas';

/**
 * The public transparency routes (issue 14 item 8), without authentication:
 * - `GET /public/v1/summary?division=` — per county and month: received, resolved, resolved on time,
 *   satisfaction, with their definitions (JSON);
 * - `GET /public/v1/feed.atom?division=` — the latest reports whose reporter chose `public` visibility (Atom 1.0):
 *   reference, category, place, status, title and the latest public reply; never who reported it.
 * The query service answers them for the anonymous `public` caller (as Open311 GET requests do). Answers are
 * cached: `Cache-Control: public, max-age=300` for clients and proxies, and for 60 s in the gateway per division
 * (and language, for the feed), so a burst of readers costs one query.
 */

/** How long an answer is kept in the gateway, ms. */
const PUBLIC_CACHE_MS = 60_000;
const CACHE_CONTROL = 'public, max-age=300';
const DIVISION = { type: 'string', pattern: '^[0-9]{4,12}$', description: 'Division code (its subtree); omitted: all of Liangshan.' };

interface FeedEntry {
  id: string; reference: string; title: string; serviceCode: string; division: string; divisionName: string;
  status: string; submittedAt: string; updatedAt: string; lastPublicReply: string;
}

/** XML text escaping (element content and attribute values). */
export function xmlEscape(text: string): string {
  // Characters XML 1.0 forbids are dropped; the five special ones escaped.
  return text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The Atom document of feed entries (pure). `base`: the site's origin; `t`: the reader's language. */
export function atomFeed(entries: readonly FeedEntry[], options: { base: string; division: string; now: string; t: (key: string, values?: Record<string, string>) => string }): string {
  const { base, division, t } = options;
  const self = `${base}/public/v1/feed.atom${division ? `?division=${division}` : ''}`;
  const updated = entries[0]?.updatedAt ?? options.now;
  const items = entries.map((e) => {
    const category = t(`category.${e.serviceCode}`);
    const status = t(`status.${e.status}`);
    const summary = [`${e.reference} · ${category} · ${e.divisionName} · ${status}`, e.lastPublicReply ? t('feed.reply', { reply: e.lastPublicReply }) : '']
      .filter(Boolean).join('\n');
    return [
      '  <entry>',
      `    <id>urn:uuid:${xmlEscape(e.id)}</id>`,
      `    <title>${xmlEscape(`[${status}] ${e.title}`)}</title>`,
      `    <link rel="alternate" type="application/json" href="${xmlEscape(`${base}/open311/v2/requests/${e.id}.json`)}"/>`,
      `    <published>${xmlEscape(e.submittedAt)}</published>`,
      `    <updated>${xmlEscape(e.updatedAt)}</updated>`,
      `    <category term="${xmlEscape(e.serviceCode)}" label="${xmlEscape(category)}"/>`,
      `    <summary>${xmlEscape(summary)}</summary>`,
      '  </entry>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${xmlEscape(self)}</id>`,
    `  <title>${xmlEscape(t('feed.title'))}</title>`,
    `  <subtitle>${xmlEscape(t('feed.subtitle'))}</subtitle>`,
    `  <link rel="self" type="application/atom+xml" href="${xmlEscape(self)}"/>`,
    `  <updated>${xmlEscape(updated)}</updated>`,
    `  <author><name>${xmlEscape(t('feed.author'))}</name></author>`,
    ...items,
    '</feed>',
    '',
  ].join('\n');
}

export function registerPublicRoutes(app: FastifyInstance, ctx: GatewayContext, ref: ReferenceData): void {
  const { clients, callTimeoutMs } = ctx;
  const callers = new Open311Callers(ctx);
  const cache = new Map<string, { at: number; value: unknown }>();
  /** A cached upstream answer (real time, never the test clock: caching is not a business rule). */
  const cached = async <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < PUBLIC_CACHE_MS) return hit.value as T;
    const value = await load();
    if (cache.size > 1000) cache.clear();
    cache.set(key, { at: Date.now(), value });
    return value;
  };
  const call = async (request: FastifyRequest) => ({ token: await callers.publicToken(request.id), correlationId: request.id });
  const known = (division: string | undefined) => {
    if (division && !ref.divisions.get(division)) throw new HttpProblem(404, 'unknown_division', `unknown division ${division}`);
    return division ?? '';
  };

  app.get<{ Querystring: { division?: string } }>('/public/v1/summary', {
    schema: {
      tags: ['public'],
      summary: 'Public summary per county and month: received, resolved on time, satisfaction (issue 14 item 8)',
      description: 'No authentication. For reports submitted in each month (Asia/Shanghai) per county of the division: `received`, `resolved`, '
        + '`resolvedOnTime` {count, of, rate}, `satisfaction` {count, of, rate, enoughData} (null below 5 ratings), newest month first, with '
        + '`definitions`. A report merged into another counts once. Cached 5 minutes (`Cache-Control`); the figures may be a minute old.',
      querystring: { type: 'object', additionalProperties: false, properties: { division: DIVISION } },
      response: { 200: openObjectSchema, ...problemResponses(400, 404, 503) },
    },
  }, async (request, reply) => {
    const division = known(request.query.division);
    const summary = await cached(`summary:${division}`, async () => {
      const res = await unaryCall(clients.query, clients.query.getPublicSummary, { division }, await call(request), callTimeoutMs);
      return parseUpstreamJson(res.summaryJson, 'summary');
    });
    return reply.header('cache-control', CACHE_CONTROL).send(summary);
  });

  app.get<{ Querystring: { division?: string } }>('/public/v1/feed.atom', {
    schema: {
      tags: ['public'],
      summary: 'Atom feed of the latest public reports, without identities (issue 14 item 8)',
      description: 'No authentication. The 50 most recently changed reports of the division whose reporter chose `public` visibility: '
        + 'reference, category, place, status, title and the latest public reply — never who reported it, their contact or the description. '
        + 'Texts in the language of `Accept-Language`. Cached 5 minutes.',
      querystring: { type: 'object', additionalProperties: false, properties: { division: DIVISION } },
      response: { 200: { description: 'application/atom+xml', type: 'string' }, ...problemResponses(400, 404, 503) },
    },
  }, async (request, reply) => {
    const division = known(request.query.division);
    const language = requestLanguage(request);
    const entries = await cached(`feed:${division}`, async () => {
      const res = await unaryCall(clients.query, clients.query.listPublicFeed, { division }, await call(request), callTimeoutMs);
      return parseUpstreamJson(res.entriesJson, 'feed') as FeedEntry[];
    });
    const base = publicOrigin(request);
    const body = atomFeed(Array.isArray(entries) ? entries : [], { base, division, now: new Date().toISOString(), t: translator(language) });
    return reply.type('application/atom+xml; charset=utf-8').header('cache-control', CACHE_CONTROL).header('vary', 'Accept-Language').send(body);
  });
}

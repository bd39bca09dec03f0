import type { DivisionLevel } from '@tongban/domain';
import type { DivisionSearch } from '../division-search';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context';
import { HttpProblem, problems } from '../problem';
import { digits, problemResponses, type JsonSchema } from '../schemas';

/** Reference data changes with a release, not while running: clients and proxies may keep it a day. */
const CACHE_CONTROL = 'public, max-age=86400';

const CODE_PATTERN = '^[0-9]{4,12}$';
const LEVELS: readonly DivisionLevel[] = ['prefecture', 'county', 'township', 'village'];

const divisionSchema: JsonSchema = {
  type: 'object',
  required: ['code', 'name', 'level', 'parent', 'pinyin', 'initials', 'path', 'children'],
  properties: {
    code: { type: 'string', examples: ['513437100'] },
    name: { type: 'string', examples: ['锦城镇'] },
    level: { type: 'string', enum: [...LEVELS] },
    parent: { type: ['string', 'null'] },
    pinyin: { type: 'string', description: 'Full pinyin without tones, syllables separated by spaces.', examples: ['jin cheng zhen'] },
    initials: { type: 'string', description: 'Pinyin initials, lower case.', examples: ['jcz'] },
    path: {
      type: 'array',
      description: 'Ancestors from the prefecture down to the parent.',
      items: { type: 'object', properties: { code: { type: 'string' }, name: { type: 'string' } } },
    },
    children: { type: 'integer', description: 'Number of child divisions (0: a village, the end of the cascade).' },
  },
};

const listSchema: JsonSchema = {
  type: 'object',
  required: ['divisions'],
  properties: { divisions: { type: 'array', items: divisionSchema } },
};

interface DivisionsQuery {
  parent?: string;
  q?: string;
  within?: string;
  level?: DivisionLevel;
  limit?: string;
}

/**
 * Public reference data for division pickers (the citizen app's and the console's county → township →
 * village cascade), served from the gateway's copy of the reference data (no upstream call):
 * - `GET /api/v1/divisions` → the top level; `?parent=<code>` → that division's children;
 *   `?q=<name or pinyin>` → a search (`within`, `level`, `limit` narrow it). Answer `{divisions: [...]}`.
 * - `GET /api/v1/divisions/{code}` → one division with its path (404 `unknown_division`).
 * No token is needed; a sent token must be valid. Answers may be cached for a day.
 */
export function registerDivisionRoutes(app: FastifyInstance, ctx: GatewayContext, search: DivisionSearch): void {
  app.get<{ Querystring: DivisionsQuery }>('/api/v1/divisions', {
    onRequest: ctx.auth.optional,
    schema: {
      tags: ['reference'],
      summary: 'Divisions: the cascade (children of a division) or a search by name or pinyin',
      description: 'Without parameters: the top level (the prefecture). `parent`: the children of that division, by code. '
        + '`q`: divisions whose name contains it or whose pinyin starts with it (initials such as `jcz` for 锦城镇, or syllables such as `jincheng`), best match first. '
        + '`parent` and `q` exclude each other.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          parent: { type: 'string', pattern: CODE_PATTERN, description: 'List the children of this division.' },
          q: { type: 'string', minLength: 1, maxLength: 50, description: 'Search text: Chinese characters or pinyin.' },
          within: { type: 'string', pattern: CODE_PATTERN, description: 'With q: only this division\'s subtree.' },
          level: { type: 'string', enum: [...LEVELS], description: 'With q: only this level.' },
          limit: digits(3, 'With q: at most this many (1–100, default 20).', 'gateway'),
        },
      },
      response: { 200: listSchema, ...problemResponses(400) },
    },
  }, async (request, reply) => {
    const { parent, q, within, level, limit } = request.query;
    if (parent !== undefined && q !== undefined) throw problems.badRequest('conflicting_parameters', 'give either parent or q, not both');
    if (q === undefined && (within !== undefined || level !== undefined || limit !== undefined)) {
      throw problems.badRequest('conflicting_parameters', 'within, level and limit only go with q');
    }
    const count = limit === undefined ? undefined : Number(limit);
    if (count !== undefined && (count < 1 || count > 100)) throw problems.badRequest('invalid_limit', 'limit must be between 1 and 100');
    if (parent !== undefined && !search.get(parent)) throw unknownDivision(parent);
    if (within !== undefined && !search.get(within)) throw unknownDivision(within);
    void reply.header('cache-control', CACHE_CONTROL);
    if (q !== undefined) {
      return { divisions: search.search({ q, ...(within ? { within } : {}), ...(level ? { level } : {}), ...(count ? { limit: count } : {}) }) };
    }
    return { divisions: search.children(parent ?? null) };
  });

  app.get<{ Params: { code: string } }>('/api/v1/divisions/:code', {
    onRequest: ctx.auth.optional,
    schema: {
      tags: ['reference'],
      summary: 'One division with its path (e.g. for a QR code\'s preset place)',
      params: { type: 'object', required: ['code'], properties: { code: { type: 'string', pattern: CODE_PATTERN } } },
      response: { 200: divisionSchema, ...problemResponses(400, 404) },
    },
  }, async (request, reply) => {
    const entry = search.get(request.params.code);
    if (!entry) throw unknownDivision(request.params.code);
    void reply.header('cache-control', CACHE_CONTROL);
    return entry;
  });
}

function unknownDivision(code: string): HttpProblem {
  return new HttpProblem(404, 'unknown_division', `unknown division ${code}`);
}

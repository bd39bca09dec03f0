import type { FastifyInstance } from 'fastify';
import { callContext, type GatewayContext } from '../context';
import { unaryCall } from '../grpc-clients';
import { bearerSecurity, problemResponses } from '../schemas';

const erasureSchema = {
  type: 'object',
  required: ['reporterId', 'by', 'reason', 'erasedAt', 'alreadyErased'],
  properties: {
    reporterId: { type: 'string' },
    by: { type: 'string', description: 'Staff id of who erased the reporter (the first erasure\'s).' },
    reason: { type: 'string', description: 'The reason given (the first erasure\'s).' },
    erasedAt: { type: 'string', format: 'date-time', description: 'When the key was destroyed (UTC).' },
    alreadyErased: { type: 'boolean', description: 'True when the reporter had been erased before this request.' },
  },
  examples: [{
    reporterId: '0193c7a0-5d1e-7c2a-9f00-3b1d2e4f5a6b', by: '0193c7a0-1111-7c2a-9f00-3b1d2e4f5a00',
    reason: '本人依《个人信息保护法》第四十七条申请删除（来电 2026-03-02）', erasedAt: '2026-03-02T06:15:00.000Z', alreadyErased: false,
  }],
};

/**
 * POST /api/v1/reporters/{id}/erase {reason} (issue 14 item 6, the Personal Information Protection Law's
 * deletion right): a supervisor or a directory-admin erases a reporter — intake destroys the reporter's data
 * key, so the personal data sealed with it can no longer be read anywhere, and records ReporterErased.
 * Idempotent: 200 again, with the first erasure and `alreadyErased: true`.
 */
export function registerReporterRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post<{ Params: { id: string }; Body: { reason: string } }>('/api/v1/reporters/:id/erase', {
    onRequest: ctx.auth.anyone,
    schema: {
      tags: ['privacy'],
      summary: 'Erase a reporter\'s personal data (supervisors, directory-admins)',
      description: 'Destroys the reporter\'s data key: the name, phone, e-mail, account and proxy contact sealed with it in every report '
        + 'can no longer be opened, and every read shows the reporter as erased; no SMS or e-mail reaches them any more. Appends '
        + 'ReporterErased {reporterId, by, reason, at} to stream `reporter-<id>`; every hash chain still verifies. The reporter id is '
        + '`reporter.id` of the ticket view. Reports submitted before sealing existed cannot be erased. 403 `not_allowed_to_erase` for '
        + 'anyone but supervisors and directory-admins; 404 `reporter_not_found`; 400 for a missing or blank reason.',
      security: bearerSecurity,
      params: {
        type: 'object', required: ['id'],
        properties: { id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'Reporter id (UUID).' } },
      },
      body: {
        type: 'object', required: ['reason'], additionalProperties: false,
        properties: { reason: { type: 'string', minLength: 1, maxLength: 2000, pattern: '\\S', description: 'Why (e.g. the reporter\'s request and its reference).' } },
        examples: [{ reason: '本人依《个人信息保护法》第四十七条申请删除（来电 2026-03-02）' }],
      },
      response: { 200: erasureSchema, ...problemResponses(400, 401, 403, 404, 413, 415, 503) },
    },
  }, async (request) => {
    const res = await unaryCall(ctx.clients.intake, ctx.clients.intake.eraseReporter, { reporterId: request.params.id, reason: request.body.reason }, callContext(request), ctx.callTimeoutMs);
    return { reporterId: res.reporterId, by: res.by, reason: res.reason, erasedAt: res.erasedAt, alreadyErased: res.alreadyErased };
  });
}

/**
 * The CLI reading through the gateway with an auditor token: GET /api/v1/tickets/{id}/verify,
 * /api/v1/audit/verify (pages), /api/v1/tickets/{id}/history and /api/v1/audit/export (pages; the
 * query service records an unmasked export before serving it).
 */
import type { ExportRow } from '../audit/export';
import { type AuditSource, CliError, type ExportRequest, type TicketVerification } from './source';
import type { TimelineEvent } from './timeline';

/** Opens the API source at `baseUrl` (e.g. http://127.0.0.1:8080) with a bearer token. */
export function apiSource(baseUrl: string, token: string, fetchImpl: typeof fetch = fetch): AuditSource {
  const base = baseUrl.replace(/\/+$/, '');
  const get = async <T>(path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<T> => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '' && v !== false) params.set(k, String(v));
    const url = `${base}${path}${params.size ? `?${params.toString()}` : ''}`;
    const res = await fetchImpl(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    const text = await res.text();
    let body: unknown;
    try { body = text ? JSON.parse(text) : undefined; } catch { body = text; }
    if (!res.ok) {
      const problem = body as { reason?: string; detail?: string } | undefined;
      throw new CliError(`${res.status} ${problem?.reason ?? ''}: ${problem?.detail ?? text} (GET ${path})`);
    }
    return body as T;
  };
  return {
    description: `API ${base}`,
    verifyTicket: (ticketId) => get<TicketVerification>(`/api/v1/tickets/${encodeURIComponent(ticketId)}/verify`),
    async verifyPage(division, after, limit) {
      const page = await get<{ results: TicketVerification[]; nextAfter?: string; total: number }>('/api/v1/audit/verify', { division, after, limit });
      return { results: page.results, total: page.total, ...(page.nextAfter ? { next: page.nextAfter } : {}) };
    },
    async history(ticketId) {
      const body = await get<TimelineEvent[] | { events: TimelineEvent[] }>(`/api/v1/tickets/${encodeURIComponent(ticketId)}/history`);
      return Array.isArray(body) ? body : body.events;
    },
    async exportPage(req: ExportRequest) {
      const page = await get<{ events: ExportRow[]; nextAfter?: string; disclosureId?: string }>('/api/v1/audit/export', {
        division: req.division, from: req.from, to: req.to, unmasked: req.unmasked, reason: req.reason, format: req.format,
        after: req.afterStream, limit: req.limit, disclosure: req.disclosureId,
      });
      return { rows: page.events, ...(page.nextAfter ? { next: page.nextAfter } : {}), ...(page.disclosureId ? { disclosureId: page.disclosureId } : {}) };
    },
    close: async () => undefined,
  };
}

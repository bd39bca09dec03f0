/**
 * Background load for fault-injection tests: citizen submissions at a steady pace through the gateway,
 * every answer recorded (status, reason, Retry-After), so a test can assert what clients saw during an
 * outage and which tickets exist afterwards.
 */
import { randomUUID } from 'node:crypto';

/** One answer of the gateway to a load request. */
export interface LoadAnswer {
  /** When the request was sent (ms since the epoch, real time). */
  at: number;
  /** HTTP status; 0 when the gateway could not be reached at all. */
  status: number;
  /** The problem document's `reason`, for an error answer. */
  reason?: string;
  retryAfter?: string | null;
  /** The new ticket's id, for a 201. */
  id?: string;
  /** The network error, for status 0. */
  error?: string;
}

/** A running load. */
export interface Load {
  answers: LoadAnswer[];
  /** Ids of the tickets created so far. */
  created(): string[];
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

/** A submission body for the township of 锦城镇 (unit adm-513437100), numbered. */
export function submission(n: number): Record<string, unknown> {
  return {
    service_code: 'dangerous-structure', division: '513437100001',
    title: `负载测试 ${n}`, description: `fault-injection load ticket ${n}`,
  };
}

/**
 * Submits a ticket every `intervalMs` (not waiting for the previous answer, at most `maxInFlight` at
 * once) with `token` to `baseUrl`, until stopped.
 */
export function startSubmissionLoad(baseUrl: string, token: string, options: { intervalMs?: number; maxInFlight?: number } = {}): Load {
  const answers: LoadAnswer[] = [];
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  let stopped = false;
  const send = async (): Promise<void> => {
    n += 1;
    const at = Date.now();
    try {
      const res = await fetch(`${baseUrl}/api/v1/tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify(submission(n)),
      });
      const text = await res.text();
      let body: { id?: string; reason?: string } = {};
      try { body = JSON.parse(text) as typeof body; } catch { /* not JSON */ }
      answers.push({
        at, status: res.status, retryAfter: res.headers.get('retry-after'),
        ...(res.status === 201 && body.id ? { id: body.id } : {}), ...(body.reason ? { reason: body.reason } : {}),
      });
    } catch (err) {
      answers.push({ at, status: 0, error: err instanceof Error ? err.message : String(err) });
    }
  };
  const interval = options.intervalMs ?? 200;
  const maxInFlight = options.maxInFlight ?? 20;
  const timer = setInterval(() => {
    if (stopped || inFlight.size >= maxInFlight) return;
    const p = send().finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, interval);
  return {
    answers,
    created: () => answers.flatMap((a) => (a.id ? [a.id] : [])),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all([...inFlight]);
    },
  };
}

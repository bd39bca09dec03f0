/**
 * The console's HTTP client: every call goes to the gateway's REST API (/api/v1) with the session's
 * bearer token; a 401 tries one silent refresh (auth.ts) and otherwise sends the user to the sign-in
 * page with the current location, so they come back where they were. Errors are RFC 9457 problem+json.
 */
import { currentToken, refreshSession, sessionExpired } from './auth';

/** A problem+json answer (status, machine `reason`, title in the request's language, detail). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly status: number, readonly reason: string, message: string, readonly problem: Record<string, unknown> = {}) {
    super(message);
  }
}

/** Options of {@link api}. */
export interface ApiOptions {
  method?: string;
  body?: unknown;
  /** `If-Match` revision (412 when the ticket moved on). */
  ifMatch?: number;
  headers?: Record<string, string>;
  /** Without the bearer token (public routes, sign-in). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

/** The language of the session, sent as Accept-Language so problem titles come in it. */
let acceptLanguage = 'zh-Hans';

/** Sets the Accept-Language of every call (i18n.ts calls it at start). */
export function setApiLanguage(lang: string): void {
  acceptLanguage = lang;
}

async function send(path: string, options: ApiOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', 'accept-language': acceptLanguage, ...options.headers };
  const token = options.anonymous ? undefined : currentToken();
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
  return fetch(path, {
    method: options.method ?? 'GET',
    headers,
    credentials: 'same-origin',
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Calls the API and returns the parsed JSON body (undefined for 204).
 * @throws ApiError for every non-2xx answer (after one refresh attempt on 401).
 */
export async function api<T = unknown>(path: string, options: ApiOptions = {}): Promise<T> {
  let res = await send(path, options);
  if (res.status === 401 && !options.anonymous) {
    if (await refreshSession()) res = await send(path, options);
    if (res.status === 401) {
      sessionExpired();
      throw new ApiError(401, 'unauthenticated', 'session expired');
    }
  }
  const text = await res.text();
  let body: unknown;
  try { body = text ? JSON.parse(text) : undefined; } catch { body = text; }
  if (!res.ok) {
    const problem = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const reason = typeof problem['reason'] === 'string' ? problem['reason'] : String(res.status);
    const message = [problem['title'], problem['detail']].filter((s) => typeof s === 'string' && s).join(': ') || `${res.status}`;
    throw new ApiError(res.status, reason, message, problem);
  }
  return body as T;
}

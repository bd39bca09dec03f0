import { getKv, setKv } from './db';

/** Where the API is: the gateway that serves the app (same origin). */
const API = '/api/v1';

/** A refusal by the platform (problem+json). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly reason: string, detail: string) {
    super(detail);
  }
  /** True when retrying later may succeed (timeouts, rate limits, server trouble). */
  get transient(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** No answer at all (no signal, server unreachable). */
export class NetworkError extends Error {}

/**
 * A random Idempotency-Key: a UUID v4 (crypto.randomUUID needs a secure context, which a phone on a
 * plain-http intranet address lacks; getRandomValues does not).
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface Device {
  deviceId: string;
  token: string;
}

let device: Promise<Device> | undefined;

/**
 * The device token: kept in IndexedDB (the service worker needs it too), obtained silently with
 * POST /api/v1/devices on first use — no account, no password.
 * @throws NetworkError when offline and the phone has no token yet.
 */
function ensureDevice(): Promise<Device> {
  device ??= (async () => {
    const kept = await getKv<Device>('device');
    if (kept) return kept;
    const created = await request<Device>('POST', '/devices', undefined, false);
    await setKv('device', created);
    return created;
  })().catch((err: unknown) => {
    device = undefined;
    throw err;
  });
  return device;
}

/**
 * Calls the API. `body`: JSON, or FormData (multipart). `auth`: send the device token.
 * @throws ApiError on a problem answer, NetworkError when there is no answer.
 */
export async function request<T>(method: string, path: string, body?: unknown, auth = true, headers: Record<string, string> = {}): Promise<T> {
  const h: Record<string, string> = { accept: 'application/json', ...headers };
  if (auth) h['authorization'] = `Bearer ${(await ensureDevice()).token}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    h['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(`${API}${path}`, { method, headers: h, body: payload ?? null });
  } catch (err) {
    throw new NetworkError(err instanceof Error ? err.message : 'network');
  }
  const text = await res.text();
  const parsed = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const problem = (parsed ?? {}) as { reason?: string; detail?: string };
    throw new ApiError(res.status, problem.reason ?? 'error', problem.detail ?? res.statusText);
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Fetches a file with the device token (images behind GET /api/v1/attachments/{sha256}) as an object URL. */
export async function objectUrl(path: string): Promise<string> {
  const { token } = await ensureDevice();
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new ApiError(res.status, 'error', res.statusText);
  return URL.createObjectURL(await res.blob());
}

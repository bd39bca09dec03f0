import { type DBSchema, type IDBPDatabase, openDB } from 'idb';

/** The report body of POST /api/v1/tickets, as the app sends it. */
export interface ReportBody {
  service_code: string;
  /** Absent when the platform derives it from lat/long. */
  division?: string;
  title: string;
  description: string;
  lat?: number;
  long?: number;
  coordinate_system?: 'WGS-84';
  phone?: string;
  visibility?: 'public' | 'agency';
}

/**
 * A report kept on the phone until the platform has it: its Idempotency-Key (a retry of the same key
 * never makes a second ticket), the body and the compressed photos (≤ 300 KB each).
 */
export interface OutboxItem {
  key: string;
  /** When it was written, ISO-8601 UTC. */
  createdAt: string;
  body: ReportBody;
  photos: Blob[];
  attempts: number;
  /** A refusal by the platform (4xx other than 408/429): kept for the citizen to see and delete. */
  failed?: { reason: string; detail: string };
}

/** A report the platform accepted, remembered so "my reports" shows it at once (also offline). */
export interface SentReport {
  id: string;
  reference: string;
  title: string;
  submittedAt: string;
}

interface TongbanDB extends DBSchema {
  outbox: { key: string; value: OutboxItem };
  sent: { key: string; value: SentReport };
  kv: { key: string; value: unknown };
}

let opened: Promise<IDBPDatabase<TongbanDB>> | undefined;

/** The app's IndexedDB (shared by the page and the service worker). */
export function db(): Promise<IDBPDatabase<TongbanDB>> {
  opened ??= openDB<TongbanDB>('tongban', 1, {
    upgrade(database) {
      database.createObjectStore('outbox', { keyPath: 'key' });
      database.createObjectStore('sent', { keyPath: 'id' });
      database.createObjectStore('kv');
    },
  });
  return opened;
}

/** A value of the key-value store, or undefined. */
export async function getKv<T>(key: string): Promise<T | undefined> {
  return (await (await db()).get('kv', key)) as T | undefined;
}

/** Stores a value in the key-value store. */
export async function setKv(key: string, value: unknown): Promise<void> {
  await (await db()).put('kv', value, key);
}

import { ApiError, NetworkError, newIdempotencyKey, request } from './api';
import { type OutboxItem, type ReportBody, type SentReport, db } from './db';

/** What POST /api/v1/tickets answers. */
interface Submitted {
  id: string;
  reference: string;
}

/** Keeps a report on the phone with a new Idempotency-Key; it is sent by {@link flushOutbox}. */
export async function enqueue(body: ReportBody, photos: Blob[]): Promise<OutboxItem> {
  const item: OutboxItem = { key: newIdempotencyKey(), createdAt: new Date().toISOString(), body, photos, attempts: 0 };
  await (await db()).put('outbox', item);
  return item;
}

/** Reports still on the phone, oldest first. */
export async function pending(): Promise<OutboxItem[]> {
  const items = await (await db()).getAll('outbox');
  return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Deletes a report that the platform refused (the citizen's choice). */
export async function discard(key: string): Promise<void> {
  await (await db()).delete('outbox', key);
}

/** Reports the platform accepted, newest first. */
export async function sentReports(): Promise<SentReport[]> {
  const items = await (await db()).getAll('sent');
  return items.sort((a, b) => b.submittedAt.localeCompare(a.submittedAt));
}

/** Remembers an accepted report (also used after following someone else's). */
export async function rememberSent(report: SentReport): Promise<void> {
  await (await db()).put('sent', report);
}

/** Outcome of one flush. */
export interface FlushResult {
  sent: SentReport[];
  /** Still waiting (no signal, or a transient failure). */
  waiting: number;
  failed: number;
}

/**
 * Sends every waiting report, oldest first: one multipart POST /api/v1/tickets each (part `ticket`:
 * the JSON body; parts `media`: the photos) with its Idempotency-Key, so a retry — after a lost
 * answer, from the page and the service worker at once, or forced — returns the same ticket. Stops at
 * the first network failure (the rest waits for signal). One flush at a time per origin (Web Locks
 * where the browser has them).
 */
export async function flushOutbox(): Promise<FlushResult> {
  const run = () => flushOnce();
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  return locks ? locks.request('tongban-outbox', run) : run();
}

async function flushOnce(): Promise<FlushResult> {
  const result: FlushResult = { sent: [], waiting: 0, failed: 0 };
  const items = await pending();
  for (const [index, item] of items.entries()) {
    if (item.failed) {
      result.failed += 1;
      continue;
    }
    try {
      const ticket = await send(item);
      const report: SentReport = { id: ticket.id, reference: ticket.reference, title: item.body.title, submittedAt: item.createdAt };
      const database = await db();
      const tx = database.transaction(['outbox', 'sent'], 'readwrite');
      await Promise.all([tx.objectStore('sent').put(report), tx.objectStore('outbox').delete(item.key), tx.done]);
      result.sent.push(report);
    } catch (err) {
      if (err instanceof NetworkError || (err instanceof ApiError && err.transient)) {
        await (await db()).put('outbox', { ...item, attempts: item.attempts + 1 });
        result.waiting += items.length - index;
        return result;
      }
      const reason = err instanceof ApiError ? err.reason : 'error';
      const detail = err instanceof Error ? err.message : String(err);
      await (await db()).put('outbox', { ...item, attempts: item.attempts + 1, failed: { reason, detail } });
      result.failed += 1;
    }
  }
  return result;
}

function send(item: OutboxItem): Promise<Submitted> {
  const form = new FormData();
  form.append('ticket', new Blob([JSON.stringify(item.body)], { type: 'application/json' }), 'ticket.json');
  item.photos.forEach((photo, i) => form.append('media', photo, `photo-${i + 1}.jpg`));
  return request<Submitted>('POST', '/tickets', form, true, { 'idempotency-key': item.key });
}

import { flushOutbox } from './outbox';

/** Registers the service worker (app shell offline; Background Sync of the outbox). */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL, type: import.meta.env.DEV ? 'module' : 'classic' })
    .catch(() => undefined);
}

interface SyncManager {
  register(tag: string): Promise<void>;
}

/**
 * Asks for a Background Sync of the outbox (the service worker sends the reports when the signal
 * returns, even if the app is closed); where the browser has none, the app sends on the next open and
 * on every `online` event. Either way it tries at once too.
 */
export async function scheduleFlush(): Promise<void> {
  try {
    const registration = 'serviceWorker' in navigator ? await Promise.race([navigator.serviceWorker.ready, new Promise<undefined>((r) => setTimeout(r, 500, undefined))]) : undefined;
    // Background Sync is not in every lib.dom: typed here.
    const withSync: (ServiceWorkerRegistration & { sync?: SyncManager }) | undefined = registration;
    const sync = withSync?.sync;
    if (sync) await sync.register('tongban-outbox');
  } catch {
    // No Background Sync: the page's own triggers remain.
  }
  await flushOutbox().catch(() => undefined);
}

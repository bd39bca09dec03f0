/// <reference lib="webworker" />
/**
 * The service worker (built by vite-plugin-pwa's injectManifest): the app shell is precached so the app
 * opens offline after the first visit; navigations answer index.html; reference data (categories,
 * divisions) is served from the cache when there is no signal (stale-while-revalidate); Background Sync
 * sends the outbox when the signal returns, even with the app closed.
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { StaleWhileRevalidate } from 'workbox-strategies';
import { flushOutbox } from './outbox';

declare const self: ServiceWorkerGlobalScope;

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL(`${import.meta.env.BASE_URL}index.html`), { allowlist: [/^\/app\/(?!qr\.svg)/] }));
registerRoute(({ url }) => url.pathname === '/api/v1/services' || url.pathname.startsWith('/api/v1/divisions'), new StaleWhileRevalidate({ cacheName: 'tongban-reference' }));

interface SyncEvent extends ExtendableEvent {
  tag: string;
}

self.addEventListener('sync', (event) => {
  const sync = event as SyncEvent;
  if (sync.tag !== 'tongban-outbox') return;
  // A rejection makes the browser retry the sync later (with backoff).
  sync.waitUntil(flushOutbox().then((r) => {
    if (r.waiting > 0) throw new Error('still offline');
  }));
});

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

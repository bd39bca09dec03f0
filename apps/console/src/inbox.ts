/** The unit's inbox (GET /api/v1/inbox) and which messages this person has seen (kept in the browser). */
import { useQuery } from '@tanstack/react-query';
import { useCallback, useSyncExternalStore } from 'react';
import { api } from './api';

/** One message of GET /api/v1/inbox. */
export interface InboxMessage {
  id: string;
  ticketId: string;
  kind: string;
  title: string;
  body: string;
  createdAt: string;
}

/** How often the inbox is re-read, ms. */
const INBOX_REFRESH_MS = 10_000;

const listeners = new Set<() => void>();
const key = (who: string) => `tongban.console.read.${who}`;

function readIds(who: string): Set<string> {
  try { return new Set(JSON.parse(localStorage.getItem(key(who)) ?? '[]') as string[]); } catch { return new Set(); }
}

/** Marks messages as read for this person (the last 2,000 ids are kept). */
export function markRead(who: string, ids: string[]): void {
  const all = [...readIds(who), ...ids];
  localStorage.setItem(key(who), JSON.stringify(all.slice(-2000)));
  for (const l of listeners) l();
}

/** The inbox with the ids this person has read. */
export function useInbox(who: string | undefined) {
  const messages = useQuery({
    queryKey: ['inbox', who],
    queryFn: () => api<{ messages: InboxMessage[] }>('/api/v1/inbox?limit=200'),
    enabled: !!who,
    refetchInterval: INBOX_REFRESH_MS,
  });
  const snapshot = useCallback(() => (who ? localStorage.getItem(key(who)) ?? '[]' : '[]'), [who]);
  const raw = useSyncExternalStore((l) => { listeners.add(l); return () => listeners.delete(l); }, snapshot);
  const read = new Set(JSON.parse(raw) as string[]);
  const list = messages.data?.messages ?? [];
  return { messages: list, read, unread: list.filter((m) => !read.has(m.id)).length, query: messages };
}

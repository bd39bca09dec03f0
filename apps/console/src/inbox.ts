/**
 * The inbox (GET /api/v1/inbox) with the person's read state, which the server keeps (POST
 * /api/v1/inbox/read): the unread count is the same in every browser the person signs in on.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './api';

/** One message of GET /api/v1/inbox. */
interface InboxMessage {
  id: string;
  ticketId: string;
  kind: string;
  title: string;
  body: string;
  createdAt: string;
  /** Whether this person has read it. */
  read?: boolean;
}

/** GET /api/v1/inbox: a page of messages and the person's unread count in the whole inbox. */
interface InboxPage {
  messages: InboxMessage[];
  unread?: number;
}

/** How often the inbox is re-read, ms. */
const INBOX_REFRESH_MS = 10_000;

/** What POST /api/v1/inbox/read takes: every message up to one (id or ISO instant), or some messages. */
export type ReadMarker = { upTo: string } | { ids: string[] };

/**
 * The inbox of the signed-in person (`who`: their id, the cache key; undefined: not read at all), with
 * `markRead` to mark messages read on the server. The read state is shown at once (optimistically) and
 * the server's count replaces it when the call answers.
 */
export function useInbox(who: string | undefined) {
  const client = useQueryClient();
  const key = ['inbox', who];
  const messages = useQuery({
    queryKey: key,
    queryFn: () => api<InboxPage>('/api/v1/inbox?limit=200'),
    enabled: !!who,
    refetchInterval: INBOX_REFRESH_MS,
  });
  const mark = useMutation({
    mutationFn: (marker: ReadMarker) => api<{ unread: number }>('/api/v1/inbox/read', { method: 'POST', body: marker }),
    onMutate: async (marker) => {
      await client.cancelQueries({ queryKey: key });
      client.setQueryData<InboxPage>(key, (page) => page && optimisticallyRead(page, marker));
    },
    onSuccess: ({ unread }) => client.setQueryData<InboxPage>(key, (page) => page && { ...page, unread }),
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });
  const list = messages.data?.messages ?? [];
  const unread = messages.data?.unread ?? list.filter((m) => !m.read).length;
  return { messages: list, unread, query: messages, markRead: (marker: ReadMarker) => mark.mutate(marker) };
}

/** The page with the marked messages read (newest first: `upTo` an id marks it and every later one in the list). */
function optimisticallyRead(page: InboxPage, marker: ReadMarker): InboxPage {
  let hit: (m: InboxMessage, i: number) => boolean;
  if ('ids' in marker) {
    const ids = new Set(marker.ids);
    hit = (m) => ids.has(m.id);
  } else {
    const at = page.messages.findIndex((m) => m.id === marker.upTo);
    const time = Date.parse(marker.upTo);
    hit = at >= 0 ? (_m, i) => i >= at : (m) => !Number.isNaN(time) && Date.parse(m.createdAt) <= time;
  }
  let newlyRead = 0;
  const messages = page.messages.map((m, i) => {
    if (m.read || !hit(m, i)) return m;
    newlyRead += 1;
    return { ...m, read: true };
  });
  return { ...page, messages, ...(page.unread !== undefined ? { unread: Math.max(page.unread - newlyRead, 0) } : {}) };
}

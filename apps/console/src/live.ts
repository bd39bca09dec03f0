/**
 * Live updates: reads GET /api/v1/live (server-sent events) with fetch — EventSource cannot send the
 * Authorization header — and calls `onEvent` for each ticket event; reconnects with backoff (1 s … 30 s).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { currentToken } from './auth';

/** Connects while mounted; returns whether the stream is open. Ticket events re-read `queryKeys` (debounced 150 ms). */
export function useLiveUpdates(queryKeys: readonly (readonly unknown[])[]): boolean {
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const keys = JSON.stringify(queryKeys);
  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = () => {
      clearTimeout(timer);
      timer = setTimeout(() => { for (const k of JSON.parse(keys) as unknown[][]) void client.invalidateQueries({ queryKey: k }); }, 150);
    };
    void (async () => {
      let delay = 1_000;
      while (!abort.signal.aborted) {
        try {
          const token = currentToken();
          const res = await fetch('/api/v1/live', { headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) }, signal: abort.signal });
          if (!res.ok || !res.body) throw new Error(`live: ${res.status}`);
          setOpen(true);
          delay = 1_000;
          refresh(); // whatever happened while disconnected
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              if (block.split('\n').some((line) => line === 'event: ticket')) refresh();
            }
          }
        } catch {
          if (abort.signal.aborted) return;
        }
        setOpen(false);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 30_000);
      }
    })();
    return () => { abort.abort(); clearTimeout(timer); };
  }, [client, keys]);
  return open;
}

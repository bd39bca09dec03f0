import { useEffect, useState, useSyncExternalStore } from 'react';
import { currentMe, onSessionChange, type Me } from './auth';

/** The current time (epoch ms), re-rendering every `everyMs` (the live clocks). */
export function useNow(everyMs = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** The signed-in person (re-renders on sign-in, role change and sign-out). */
export function useMe(): Me | undefined {
  return useSyncExternalStore(onSessionChange, currentMe);
}

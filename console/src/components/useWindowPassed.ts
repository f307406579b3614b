// The server's reply_window holds until its closes_at; then the window's state
// has changed (RESPONSE to HUMAN_AGENT, or to closed) and is read again.
import { useEffect, useRef } from 'react';

/**
 * Calls `onPassed` a second after the soonest of `times` (soon, when it has
 * already passed). Read again, a passed window comes back with a later
 * closes_at or closed, so the soonest moves on.
 */
export function useWindowPassed(times: (number | null)[], onPassed: (() => void) | undefined): void {
  const next = times.reduce<number | null>((soonest, t) => (t !== null && (soonest === null || t < soonest) ? t : soonest), null);
  // The latest callback, so that a new one (each render) does not restart the timer.
  const callback = useRef(onPassed);
  useEffect(() => {
    callback.current = onPassed;
  }, [onPassed]);
  useEffect(() => {
    if (next === null) return;
    // Windows are at most 7 days: within what setTimeout holds (about 24.8 days).
    const id = setTimeout(() => callback.current?.(), Math.max(0, next - Date.now()) + 1000);
    return () => clearTimeout(id);
  }, [next]);
}

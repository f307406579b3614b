// The console's heartbeat: while an agent has the console open (any view),
// it tells the server every 30 s. When it stops (a closed tab, a lost
// connection), the scheduler sets the agent offline 120 s after the last
// one, so their offers move on and their waiting customers are handed off.
import { useEffect } from 'react';
import type { Api } from '../api/client';

/** How often the console says it is open. */
export const HEARTBEAT_EVERY_MS = 30_000;

/** Send heartbeats while `enabled` (signed in as an agent). */
export function useHeartbeat(api: Api, enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const beat = () => void api.agent.POST('/agent/v1/heartbeat').catch(() => undefined);
    beat();
    const every = setInterval(beat, HEARTBEAT_EVERY_MS);
    return () => clearInterval(every);
  }, [api, enabled]);
}

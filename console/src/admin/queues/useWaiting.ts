// How many conversations wait in each of some queues, from
// GET /admin/v1/queues/{id}/waiting, polled every few seconds while shown.
import { useEffect, useState } from 'react';
import type { Api } from '../../api/client';

export const WAITING_PAGE = 100;
const EVERY_MS = 3000;

export interface Waiting {
  count: number;
  /** More wait than one page shows. */
  more: boolean;
}

export function useWaiting(api: Api, queueIds: readonly string[]): Map<string, Waiting | null> {
  const [counts, setCounts] = useState<Map<string, Waiting | null>>(new Map());
  const key = queueIds.join(',');
  useEffect(() => {
    const ids = key ? key.split(',') : [];
    let stopped = false;
    const poll = async () => {
      const pairs = await Promise.all(
        ids.map(async (id) => {
          const { data } = await api.admin.GET('/admin/v1/queues/{queue_id}/waiting', { params: { path: { queue_id: id }, query: { limit: WAITING_PAGE } } });
          return [id, data ? { count: data.waiting.length, more: Boolean(data.next_cursor) } : null] as const;
        }),
      );
      if (!stopped) setCounts(new Map(pairs));
    };
    void poll();
    const timer = window.setInterval(() => void poll(), EVERY_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [api, key]);
  return counts;
}

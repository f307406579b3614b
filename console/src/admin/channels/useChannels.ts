// The channel accounts, their pages and the alerts, fetched now and every
// 2.5 s while the screen is open (never two fetches at once; stops when unmounted).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { AdminSchemas } from '../../api/types';

export type Account = AdminSchemas['Account'];
export type Page = AdminSchemas['Page'];
export type Alert = AdminSchemas['Alert'];

export interface Channels {
  accounts: Account[];
  pages: Record<string, Page[]>;
  alerts: Alert[];
}

export const REFRESH_MS = 2500;

export function useChannels(api: Api) {
  const [data, setData] = useState<Channels | null>(null);
  const [error, setError] = useState<string | null>(null);
  const busy = useRef(false);
  const alive = useRef(true);
  const load = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    try {
      const [acc, al] = await Promise.all([api.admin.GET('/admin/v1/accounts'), api.admin.GET('/admin/v1/alerts')]);
      if (!acc.data) throw acc.error;
      const pages: Record<string, Page[]> = {};
      await Promise.all(
        acc.data.accounts.map(async (a) => {
          const r = await api.admin.GET('/admin/v1/accounts/{account_id}/pages', { params: { path: { account_id: a.id } } });
          pages[a.id] = r.data?.pages ?? [];
        }),
      );
      if (alive.current) {
        setData({ accounts: acc.data.accounts, pages, alerts: al.data?.alerts ?? [] });
        setError(null);
      }
    } catch (e) {
      if (alive.current) setError(problemText(e, String(e)));
    } finally {
      busy.current = false;
    }
  }, [api]);
  useEffect(() => {
    alive.current = true;
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      alive.current = false;
      clearInterval(timer);
    };
  }, [load]);
  return { data, error, reload: load };
}

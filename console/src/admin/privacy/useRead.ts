// One read of the admin API, again whenever `round` moves on: its data, or
// the sentence saying why it could not be read.
import { useEffect, useState } from 'react';
import { problemText } from '../../api/client';
import { useI18n } from '../../i18n/i18n';

export function useRead<T>(read: () => Promise<{ data?: T; error?: unknown }>, round: number): { data: T | null; failed: string | null } {
  const { t } = useI18n();
  const [data, setData] = useState<T | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void read().then(({ data: d, error }) => {
      if (!live) return;
      if (d !== undefined) {
        setData(d);
        setFailed(null);
      } else setFailed(t('privacy.loadFailed', { detail: problemText(error, '') }));
    });
    return () => {
      live = false;
    };
  }, [read, round, t]);
  return { data, failed };
}

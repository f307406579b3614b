// The erasure log (GET /admin/v1/erasures): who erased, when, why and how
// much. Customers appear in it only as a hash.
import { useCallback } from 'react';
import { useRead } from './useRead';
import type { Api } from '../../api/client';
import type { components } from '../../generated/admin-api';
import { useI18n } from '../../i18n/i18n';

type Erasure = components['schemas']['Erasure'];

/** Records read per call, and the newest shown. */
const PAGE = 500;
const SHOWN = 100;

export function ErasureLog({ api, round }: { api: Api; round: number }) {
  const { t, lang } = useI18n();
  const when = (at: string) => <time dateTime={at}>{new Date(at).toLocaleString(lang)}</time>;
  // The log reads oldest first: through every page, to show the newest.
  const read = useCallback(async () => {
    const all: { cursor: string; erasure: Erasure }[] = [];
    let after: string | undefined;
    for (;;) {
      const { data, error } = await api.admin.GET('/admin/v1/erasures', { params: { query: { limit: PAGE, ...(after ? { after } : {}) } } });
      if (!data) return { error };
      all.push(...data.items);
      if (data.items.length < PAGE) return { data: { items: all } };
      after = data.items[data.items.length - 1]?.cursor;
    }
  }, [api]);
  const { data, failed } = useRead(read, round);
  const items: Erasure[] | null = data ? data.items.map((i) => i.erasure).reverse().slice(0, SHOWN) : null;
  return (
    <section className="admin-section" aria-labelledby="privacy-log-title">
      <h2 id="privacy-log-title">{t('privacy.logTitle')}</h2>
      {failed && (
        <p className="error" role="alert">
          {failed}
        </p>
      )}
      {items && items.length === 0 && <p className="empty">{t('privacy.noErasures')}</p>}
      {items && items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('privacy.when')}</th>
              <th scope="col">{t('privacy.by')}</th>
              <th scope="col">{t('privacy.reason')}</th>
              <th scope="col">{t('privacy.what')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e, i) => (
              <tr key={`${e.at}-${i}`}>
                <td>{when(e.at)}</td>
                <td>{e.by}</td>
                <td>{e.reason}</td>
                <td>{t('privacy.whatCounts', { conversations: e.conversations.length, events: e.events })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

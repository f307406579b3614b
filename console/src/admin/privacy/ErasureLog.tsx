// The erasure log (GET /admin/v1/erasures): who erased, when, why and how
// much. Customers appear in it only as a hash.
import { useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { components } from '../../generated/admin-api';
import { useI18n } from '../../i18n/i18n';

type Erasure = components['schemas']['Erasure'];

export function ErasureLog({ api, round }: { api: Api; round: number }) {
  const { t, lang } = useI18n();
  const when = (at: string) => <time dateTime={at}>{new Date(at).toLocaleString(lang)}</time>;
  const [items, setItems] = useState<Erasure[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void api.admin.GET('/admin/v1/erasures').then(({ data, error }) => {
      if (!live) return;
      if (data) setItems(data.items.map((i) => i.erasure).reverse());
      else setFailed(t('privacy.loadFailed', { detail: problemText(error, '') }));
    });
    return () => {
      live = false;
    };
  }, [api, round, t]);
  return (
    <section className="admin-section" aria-labelledby="privacy-log-title">
      <h2 id="privacy-log-title">{t('privacy.logTitle')}</h2>
      {failed && <p className="error">{failed}</p>}
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

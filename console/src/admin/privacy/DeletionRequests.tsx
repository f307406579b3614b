// Meta's data-deletion requests, newest first, with their state; one that
// waits (Meta could not map the person) can be settled here: erase a
// customer for it, or refuse it with a reason the person reads.
import { useCallback, useState } from 'react';
import { useRead } from './useRead';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { components, operations } from '../../generated/admin-api';
import type { MessageKey } from '../../i18n/dictionary';
import { useI18n } from '../../i18n/i18n';
import { Field } from '../form/Field';

type DeletionRequest = components['schemas']['DeletionRequest'];
type Resolution = operations['resolveDeletionRequest']['requestBody']['content']['application/json'];

function Settle({ api, request, onChanged }: { api: Api; request: DeletionRequest; onChanged: () => void }) {
  const { t } = useI18n();
  const [v, setV] = useState({ page: '', psid: '', reason: '' });
  const [sure, setSure] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const about = `deletion-${request.code}`;
  const set = (k: keyof typeof v) => (e: { target: { value: string } }) => setV((o) => ({ ...o, [k]: e.target.value }));
  const send = async (body: Resolution) => {
    setFailed(null);
    const { error } = await api.admin.POST('/admin/v1/deletion-requests/{code}', {
      params: { path: { code: request.code } },
      body,
    });
    if (error) setFailed(t('privacy.actionFailed', { detail: problemText(error, '') }));
    else onChanged();
  };
  return (
    <div className="settle">
      <form
        noValidate
        aria-label={t('privacy.mapTitle', { code: request.code })}
        onSubmit={(e) => {
          e.preventDefault();
          void send({ action: 'map', customers: [{ page_id: v.page.trim(), psid: v.psid.trim() }] });
        }}
      >
        <Field label={t('privacy.page')} error={null}>
          {(c) => <input {...c} inputMode="numeric" value={v.page} onChange={set('page')} />}
        </Field>
        <Field label={t('privacy.psid')} error={null}>
          {(c) => <input {...c} inputMode="numeric" value={v.psid} onChange={set('psid')} />}
        </Field>
        <label className="check">
          <input type="checkbox" checked={sure} onChange={(e) => setSure(e.target.checked)} /> {t('privacy.understand')}
        </label>
        <button type="submit" disabled={!sure} aria-describedby={about}>
          {t('privacy.map')}
        </button>
      </form>
      <form
        noValidate
        aria-label={t('privacy.refuseTitle', { code: request.code })}
        onSubmit={(e) => {
          e.preventDefault();
          void send({ action: 'refuse', reason: v.reason });
        }}
      >
        <Field label={t('privacy.refuseReason')} error={null}>
          {(c) => <input {...c} value={v.reason} onChange={set('reason')} />}
        </Field>
        <button type="submit" aria-describedby={about}>
          {t('privacy.refuse')}
        </button>
      </form>
      {failed && (
        <p className="error" role="alert">
          {failed}
        </p>
      )}
    </div>
  );
}

export function DeletionRequests({ api, round, onChanged }: { api: Api; round: number; onChanged: () => void }) {
  const { t, lang } = useI18n();
  const when = (at: string) => <time dateTime={at}>{new Date(at).toLocaleString(lang)}</time>;
  const read = useCallback(() => api.admin.GET('/admin/v1/deletion-requests'), [api]);
  const { data, failed } = useRead(read, round);
  const items = data?.items ?? null;
  return (
    <section className="admin-section" aria-labelledby="privacy-requests-title">
      <h2 id="privacy-requests-title">{t('privacy.requestsTitle')}</h2>
      <p className="help">{t('privacy.requestsHint')}</p>
      {failed && (
        <p className="error" role="alert">
          {failed}
        </p>
      )}
      {items && items.length === 0 && <p className="empty">{t('privacy.noRequests')}</p>}
      {items && items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('privacy.code')}</th>
              <th scope="col">{t('privacy.received')}</th>
              <th scope="col">{t('privacy.state')}</th>
              <th scope="col">{t('privacy.customers')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.code}>
                <td>
                  <code id={`deletion-${r.code}`}>{r.code}</code>
                </td>
                <td>{when(r.received_at)}</td>
                <td>
                  {t(`privacy.state.${r.state}` as MessageKey)}
                  {r.reason ? `: ${r.reason}` : ''}
                  {r.state === 'waiting' && <Settle api={api} request={r} onChanged={onChanged} />}
                </td>
                <td>{r.customers.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

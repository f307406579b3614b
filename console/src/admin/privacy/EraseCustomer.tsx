// "Erase a customer": page, PSID and a reason, confirmed, then
// POST /admin/v1/customers/{page_id}/{psid}/erase; what was erased is said.
import { useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { Field } from '../form/Field';
import { SubmitButton } from '../form/SubmitButton';

export function EraseCustomer({ api, onErased }: { api: Api; onErased: () => void }) {
  const { t } = useI18n();
  const [v, setV] = useState({ page: '', psid: '', reason: '' });
  const [sure, setSure] = useState(false);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState<{ ok: boolean; text: string } | null>(null);
  const set = (k: keyof typeof v) => (e: { target: { value: string } }) => {
    // Another customer named: confirm again.
    if (k !== 'reason') setSure(false);
    setV((o) => ({ ...o, [k]: e.target.value }));
  };
  const erase = async () => {
    setBusy(true);
    setSaid(null);
    try {
      const { data, error } = await api.admin.POST('/admin/v1/customers/{page_id}/{psid}/erase', {
        params: { path: { page_id: v.page.trim(), psid: v.psid.trim() } },
        body: { reason: v.reason },
      });
      if (data) {
        setSaid({ ok: true, text: t('privacy.erased', { conversations: data.conversations.length, events: data.events, outbound: data.outbound }) });
        setSure(false);
        onErased();
      } else {
        setSaid({ ok: false, text: t('privacy.eraseFailed', { detail: problemText(error, t('error', { detail: '' })) }) });
      }
    } catch (e) {
      setSaid({ ok: false, text: t('privacy.eraseFailed', { detail: String(e) }) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="admin-section" aria-labelledby="privacy-erase-title">
      <h2 id="privacy-erase-title">{t('privacy.eraseTitle')}</h2>
      <form
        noValidate
        aria-labelledby="privacy-erase-title"
        onSubmit={(e) => {
          e.preventDefault();
          void erase();
        }}
      >
        <Field label={t('privacy.page')} error={null}>
          {(c) => <input {...c} inputMode="numeric" value={v.page} onChange={set('page')} autoComplete="off" />}
        </Field>
        <Field label={t('privacy.psid')} hint={t('privacy.psidHint')} error={null}>
          {(c) => <input {...c} inputMode="numeric" value={v.psid} onChange={set('psid')} autoComplete="off" />}
        </Field>
        <Field label={t('privacy.reason')} hint={t('privacy.reasonHint')} error={null}>
          {(c) => <input {...c} value={v.reason} onChange={set('reason')} />}
        </Field>
        <label className="check">
          <input type="checkbox" checked={sure} onChange={(e) => setSure(e.target.checked)} /> {t('privacy.understand')}
        </label>
        <div className="form-actions">
          <SubmitButton busy={busy} label={t('privacy.erase')} busyLabel={t('privacy.erasing')} disabled={!sure} />
        </div>
        <p role="status" className={said && !said.ok ? 'error' : undefined}>
          {said?.text}
        </p>
      </form>
    </section>
  );
}

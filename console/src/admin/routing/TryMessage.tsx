// "Try a message": a sample customer message (page, text, language,
// payload, an existing customer) sent to the read-only preview, and what routing would do with it.
import { useState } from 'react';
import type { Api } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import { Field } from '../form/Field';
import { errorFor, formProblem, generalProblem, type FormProblem } from '../form/formProblem';
import { SubmitButton } from '../form/SubmitButton';
import { PreviewResult } from './PreviewResult';

export interface PageChoice {
  page_id: string;
  name: string;
}

interface Props {
  api: Api;
  pages: PageChoice[];
  /** Ruleset id -> name, to show the result by name. */
  names: Record<string, string>;
  /** The page chosen until the administrator picks one: the chosen workstream's first. */
  preferred?: string;
}

const FIELDS = ['page_id', 'text', 'locale', 'payload', 'psid'] as const;

export function TryMessage({ api, pages, names, preferred }: Props) {
  const { t } = useI18n();
  const [page, setPage] = useState('');
  const [text, setText] = useState('');
  const [locale, setLocale] = useState('');
  const [payload, setPayload] = useState('');
  const [psid, setPsid] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [result, setResult] = useState<AdminSchemas['Preview'] | null>(null);
  const pageId = page || pages.find((p) => p.page_id === preferred)?.page_id || pages[0]?.page_id || '';

  const tryIt = async () => {
    setBusy(true);
    setProblem(null);
    const body: AdminSchemas['PreviewRequest'] = { page_id: pageId, text };
    if (locale.trim()) body.locale = locale.trim();
    if (payload.trim()) body.payload = payload.trim();
    if (psid.trim()) body.psid = psid.trim();
    const r = await api.admin.POST('/admin/v1/routing/preview', { body });
    setBusy(false);
    if (r.data) setResult(r.data);
    else {
      setResult(null);
      setProblem(formProblem(r.error, FIELDS, t('rules.tryFailed')));
    }
  };

  return (
    <section className="admin-section try-message" aria-labelledby="try-title">
      <h2 id="try-title">{t('rules.try')}</h2>
      <p className="help">{t('rules.tryIntro')}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void tryIt();
        }}
      >
        <Field label={t('rules.page')} error={errorFor(problem, 'page_id')}>
          {(c) => (
            <select {...c} value={pageId} onChange={(e) => setPage(e.target.value)}>
              {pages.map((p) => (
                <option key={p.page_id} value={p.page_id}>
                  {p.name} ({p.page_id})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('rules.text')} error={errorFor(problem, 'text')}>
          {(c) => <textarea {...c} rows={2} value={text} onChange={(e) => setText(e.target.value)} />}
        </Field>
        <Field label={t('rules.locale')} hint={t('rules.localeHint')} error={errorFor(problem, 'locale')}>
          {(c) => <input {...c} value={locale} placeholder="da" onChange={(e) => setLocale(e.target.value)} />}
        </Field>
        <Field label={t('rules.payload')} error={errorFor(problem, 'payload')}>
          {(c) => <input {...c} value={payload} onChange={(e) => setPayload(e.target.value)} />}
        </Field>
        <Field label={t('rules.psid')} hint={t('rules.psidHint')} error={errorFor(problem, 'psid')}>
          {(c) => <input {...c} value={psid} inputMode="numeric" onChange={(e) => setPsid(e.target.value)} />}
        </Field>
        <ErrorLine>{generalProblem(problem)}</ErrorLine>
        <div className="form-actions">
          <SubmitButton busy={busy} label={t('rules.tryIt')} busyLabel={t('rules.trying')} primary disabled={!pageId} />
        </div>
      </form>
      {result && <PreviewResult p={result} names={names} />}
    </section>
  );
}

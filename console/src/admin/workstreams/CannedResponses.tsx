// Section 8 of the workstream editor: the workstream's canned responses —
// list, add, edit and delete, with a preview of the filled-in text.
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { ConfirmDialog } from '../form/ConfirmDialog';
import { ErrorLine } from '../form/ErrorLine';
import { Field } from '../form/Field';
import { errorFor, formProblem, generalProblem, type FormProblem } from '../form/formProblem';
import { SaveForm } from '../form/SaveForm';
import { fillCanned } from './placeholders';

type Canned = AdminSchemas['CannedResponse'];

interface Form {
  /** The id being edited, or null for a new one. */
  editing: string | null;
  id: string;
  locale: string;
  shortcut: string;
  title: string;
  text: string;
}

const FIELDS = ['id', 'locale', 'shortcut', 'title', 'text'] as const;
const SAMPLE_CUSTOMER = 'Ada';
const SAMPLE_AGENT = 'Anna Jensen';

export function CannedResponses({ api, workstream, locale }: { api: Api; workstream: string; locale: string }) {
  const { t } = useI18n();
  const [list, setList] = useState<Canned[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<Canned | null>(null);
  const [removeError, setRemoveError] = useState<string | null>(null);

  const load = useCallback(async () => {
    const { data, error } = await api.admin.GET('/admin/v1/canned-responses', { params: { query: { workstream, limit: 200 } } });
    if (data) {
      setList(data.canned_responses);
      setLoadError(null);
    } else setLoadError(problemText(error, t('ws.cannedLoadFailed')));
  }, [api, workstream, t]);
  useEffect(() => {
    void load();
  }, [load]);

  const save = async () => {
    if (!form) return;
    setBusy(true);
    const body = { locale: form.locale.trim(), shortcut: form.shortcut, title: form.title, text: form.text };
    const r = form.editing
      ? await api.admin.PATCH('/admin/v1/canned-responses/{canned_response_id}', { params: { path: { canned_response_id: form.editing } }, body })
      : await api.admin.POST('/admin/v1/canned-responses', { body: { ...body, id: form.id.trim(), workstream } });
    setBusy(false);
    if (r.data) {
      setForm(null);
      setProblem(null);
      await load();
    } else setProblem(formProblem(r.error, FIELDS, t('ws.cannedFailed')));
  };

  const remove = async (c: Canned) => {
    const r = await api.admin.DELETE('/admin/v1/canned-responses/{canned_response_id}', { params: { path: { canned_response_id: c.id } } });
    if (r.response.ok) {
      setRemoving(null);
      setRemoveError(null);
      await load();
    } else setRemoveError(problemText(r.error, t('ws.cannedFailed')));
  };

  const set = (patch: Partial<Form>) => setForm((f) => (f ? { ...f, ...patch } : f));
  const input = (label: Parameters<typeof t>[0], field: (typeof FIELDS)[number], hint?: string) =>
    form && (
      <Field label={t(label)} hint={hint} error={errorFor(problem, field)}>
        {(c) =>
          field === 'text' ? (
            <textarea {...c} rows={3} value={form.text} onChange={(e) => set({ text: e.target.value })} />
          ) : (
            <input {...c} value={form[field]} onChange={(e) => set({ [field]: e.target.value })} />
          )
        }
      </Field>
    );

  return (
    <section className="admin-section" aria-labelledby="ws-s-canned">
      <h2 id="ws-s-canned">{t('ws.s.canned')}</h2>
      <p className="help">{t('ws.cannedHint')}</p>
      <ErrorLine>{loadError}</ErrorLine>
      {list && list.length === 0 && <p>{t('ws.cannedEmpty')}</p>}
      {list && list.length > 0 && (
        <ul className="ws-canned-list">
          {list.map((c) => (
            <li key={c.id}>
              <strong>{c.title}</strong> <code>/{c.shortcut}</code> <span className="help">({c.locale})</span>
              <p className="ws-canned-text">{c.text}</p>
              <button type="button" onClick={() => (setForm({ editing: c.id, id: c.id, locale: c.locale, shortcut: c.shortcut, title: c.title, text: c.text }), setProblem(null))}>
                {t('ws.cannedEdit', { title: c.title })}
              </button>{' '}
              <button type="button" className="danger" onClick={() => setRemoving(c)}>
                {t('ws.cannedDelete', { title: c.title })}
              </button>
            </li>
          ))}
        </ul>
      )}
      {form ? (
        <SaveForm className="ws-canned-form" label={form.editing ? t('ws.cannedEditing', { title: form.title }) : t('ws.cannedNew')} onSave={save}>
          {!form.editing && input('ws.cannedId', 'id')}
          {input('ws.cannedLocale', 'locale')}
          {input('ws.cannedShortcut', 'shortcut', t('ws.cannedShortcutHint'))}
          {input('ws.cannedTitle', 'title')}
          {input('ws.cannedText', 'text')}
          <figure className="ws-preview">
            <figcaption>{t('ws.cannedPreview', { customer: SAMPLE_CUSTOMER, agent: SAMPLE_AGENT })}</figcaption>
            <p className="ws-bubble" data-testid="ws-canned-preview">
              {fillCanned(form.text, SAMPLE_CUSTOMER, SAMPLE_AGENT)}
            </p>
          </figure>
          <ErrorLine>{generalProblem(problem)}</ErrorLine>
          <div className="form-actions">
            <button type="submit" disabled={busy}>
              {t('ws.cannedSave')}
            </button>
            <button type="button" onClick={() => (setForm(null), setProblem(null))}>
              {t('ws.cannedCancel')}
            </button>
          </div>
        </SaveForm>
      ) : (
        <button type="button" onClick={() => setForm({ editing: null, id: '', locale, shortcut: '', title: '', text: '' })}>
          {t('ws.cannedAdd')}
        </button>
      )}
      {removing && (
        <ConfirmDialog
          title={t('ws.cannedDeleteTitle', { title: removing.title })}
          consequences={[t('ws.cannedDeleteConsequence', { shortcut: removing.shortcut })]}
          confirmLabel={t('ws.cannedDelete', { title: removing.title })}
          error={removeError}
          onConfirm={() => void remove(removing)}
          onCancel={() => (setRemoving(null), setRemoveError(null))}
        />
      )}
    </section>
  );
}

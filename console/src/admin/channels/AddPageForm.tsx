// Add a page to an account: Page name, Page ID and Page access token
// (write-only). The API provisions it at once; its state then shows on its card.
import type { FormEvent } from 'react';
import type { Api } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import { Field } from '../form/Field';
import { errorFor, formProblem } from '../form/formProblem';
import { SubmitButton } from '../form/SubmitButton';
import { useFormValues } from '../form/useFormValues';
import { validate } from './validate';

const FIELDS = ['name', 'page_id', 'access_token'] as const;

export function AddPageForm({ api, accountId, onAdded }: { api: Api; accountId: string; onAdded: () => void }) {
  const { t } = useI18n();
  const { v, setV, set, problem, setProblem, busy, setBusy } = useFormValues({ name: '', page_id: '', access_token: '' });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const bad = validate(t, v, {
      name: { rule: 'name', label: t('channels.pageName') },
      page_id: { rule: 'digits', label: t('channels.pageId') },
      access_token: { rule: 'secret', label: t('channels.pageToken') },
    });
    if (bad) return setProblem(bad);
    setBusy(true);
    const r = await api.admin
      .POST('/admin/v1/accounts/{account_id}/pages', { params: { path: { account_id: accountId } }, body: { name: v.name.trim(), page_id: v.page_id.trim(), access_token: v.access_token } })
      .catch((error: unknown) => ({ data: undefined, error }));
    setBusy(false);
    if (!r.data) return setProblem(formProblem(r.error, FIELDS, t('channels.notSaved')));
    setProblem(null);
    setV({ name: '', page_id: '', access_token: '' });
    onAdded();
  };
  return (
    <form className="add-page" onSubmit={(e) => void submit(e)} noValidate>
      <Field label={t('channels.pageName')} error={errorFor(problem, 'name')}>
        {(c) => <input {...c} value={v.name} onChange={set('name')} autoComplete="off" />}
      </Field>
      <Field label={t('channels.pageId')} hint={t('channels.pageIdHint')} error={errorFor(problem, 'page_id')}>
        {(c) => <input {...c} value={v.page_id} onChange={set('page_id')} inputMode="numeric" autoComplete="off" />}
      </Field>
      <Field label={t('channels.pageToken')} hint={t('channels.pageTokenHint')} error={errorFor(problem, 'access_token')}>
        {(c) => <input {...c} type="password" value={v.access_token} onChange={set('access_token')} autoComplete="off" />}
      </Field>
      <ErrorLine>{problem && problem.field === null && t('admin.formError', { detail: problem.detail })}</ErrorLine>
      <div className="form-actions">
        <SubmitButton busy={busy} label={t('channels.addPage')} busyLabel={t('admin.saving')} primary />
      </div>
    </form>
  );
}

// Step 1 of connecting: the new account's Name, App ID and App secret (write-only).
// Checked as the API checks; a failed save keeps what was typed.
import type { FormEvent } from 'react';
import type { Api } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import { Field } from '../form/Field';
import { errorFor, formProblem } from '../form/formProblem';
import { SubmitButton } from '../form/SubmitButton';
import { useFormValues } from '../form/useFormValues';
import { validate } from './validate';

export type AccountCreated = AdminSchemas['AccountCreated'];
const FIELDS = ['name', 'app_id', 'app_secret'] as const;

export function AccountForm({ api, onCreated }: { api: Api; onCreated: (a: AccountCreated) => void }) {
  const { t } = useI18n();
  const { v, setV, set, problem, setProblem, busy, setBusy } = useFormValues({ name: '', app_id: '', app_secret: '' });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const bad = validate(t, v, {
      name: { rule: 'name', label: t('channels.name') },
      app_id: { rule: 'digits', label: t('channels.appId') },
      app_secret: { rule: 'secret', label: t('channels.appSecret') },
    });
    if (bad) return setProblem(bad);
    setBusy(true);
    const r = await api.admin.POST('/admin/v1/accounts', { body: { name: v.name.trim(), app_id: v.app_id.trim(), app_secret: v.app_secret } }).catch((error: unknown) => ({ data: undefined, error }));
    setBusy(false);
    if (!r.data) return setProblem(formProblem(r.error, FIELDS, t('channels.notSaved')));
    setProblem(null);
    setV({ name: '', app_id: '', app_secret: '' });
    onCreated(r.data);
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <Field label={t('channels.name')} hint={t('channels.nameHint')} error={errorFor(problem, 'name')}>
        {(c) => <input {...c} value={v.name} onChange={set('name')} autoComplete="off" />}
      </Field>
      <Field label={t('channels.appId')} hint={t('channels.appIdHint')} error={errorFor(problem, 'app_id')}>
        {(c) => <input {...c} value={v.app_id} onChange={set('app_id')} inputMode="numeric" autoComplete="off" />}
      </Field>
      <Field label={t('channels.appSecret')} hint={t('channels.appSecretHint')} error={errorFor(problem, 'app_secret')}>
        {(c) => <input {...c} type="password" value={v.app_secret} onChange={set('app_secret')} autoComplete="off" />}
      </Field>
      <ErrorLine>{problem && problem.field === null && t('admin.formError', { detail: problem.detail })}</ErrorLine>
      <div className="form-actions">
        <SubmitButton busy={busy} label={t('channels.saveAccount')} busyLabel={t('admin.saving')} primary />
      </div>
    </form>
  );
}

// A write-only form for one secret (an app secret, a page token): typed in a
// password field, sent, then cleared; never shown back. A failed save keeps it.
import { useState, type FormEvent } from 'react';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import { Field } from '../form/Field';
import { errorFor, formProblem, type FormProblem } from '../form/formProblem';
import { SubmitButton } from '../form/SubmitButton';

interface Props {
  label: string;
  submitLabel: string;
  /** The API's field name, to put its problem beside the input. */
  field: string;
  savedText: string;
  onSubmit: (value: string) => Promise<{ error?: unknown }>;
}

export function SecretForm({ label, submitLabel, field, savedText, onSubmit }: Props) {
  const { t } = useI18n();
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    if (value.trim() === '') {
      setProblem({ field, detail: t('channels.required', { what: label }), code: null });
      return;
    }
    setBusy(true);
    const r = await onSubmit(value).catch((error: unknown) => ({ error }));
    setBusy(false);
    if (r.error !== undefined) {
      setProblem(formProblem(r.error, [field], t('channels.notSaved')));
      return;
    }
    setProblem(null);
    setValue('');
    setSaved(true);
  };
  return (
    <form className="secret-form" onSubmit={(e) => void submit(e)} noValidate>
      <Field label={label} error={errorFor(problem, field)}>
        {(c) => <input {...c} type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} />}
      </Field>
      <ErrorLine>{problem && problem.field !== field && t('admin.formError', { detail: problem.detail })}</ErrorLine>
      <div className="form-actions">
        <SubmitButton busy={busy} label={submitLabel} busyLabel={t('admin.saving')} />
        <span role="status" className="saved">
          {saved ? savedText : ''}
        </span>
      </div>
    </form>
  );
}

// Section 8 of the workstream editor: the workstream's bot (its URL, its
// write-only signing secret, how long and how often to try, a greeting and
// its own survey). The API's invalid_bot shows beside the URL.
import { useI18n } from '../../i18n/i18n';
import { Field } from '../form/Field';
import { Check } from './Check';
import type { Draft } from './draft';

export function BotFields({ draft, set, error }: { draft: Draft; set: (p: Partial<Draft>) => void; error: string | null }) {
  const { t } = useI18n();
  const number = (key: 'botTimeoutMs' | 'botMaxFailures' | 'botAnswerWithin', label: string) => (
    <Field label={label} error={null}>
      {(c) => <input {...c} inputMode="numeric" value={draft[key]} onChange={(e) => set({ [key]: e.target.value })} />}
    </Field>
  );
  return (
    <section className="admin-section" aria-labelledby="ws-s-bot">
      <h2 id="ws-s-bot">{t('ws.s.bot')}</h2>
      <p className="help">{t('ws.botHint')}</p>
      <Check label={t('ws.botOn')} checked={draft.botOn} onChange={(v) => set({ botOn: v })} />
      {draft.botOn && (
        <>
          <Field label={t('ws.botUrl')} hint={t('ws.botUrlHint')} error={error}>
            {(c) => <input {...c} type="url" value={draft.botUrl} onChange={(e) => set({ botUrl: e.target.value })} autoComplete="off" />}
          </Field>
          <Field label={t('ws.botSecret')} hint={t(draft.botStored ? 'ws.botSecretKept' : 'ws.botSecretNew')} error={null}>
            {(c) => <input {...c} type="password" value={draft.botSecret} onChange={(e) => set({ botSecret: e.target.value })} autoComplete="new-password" />}
          </Field>
          {number('botTimeoutMs', t('ws.botTimeout'))}
          {number('botMaxFailures', t('ws.botMaxFailures'))}
          {number('botAnswerWithin', t('ws.botAnswerWithin'))}
          <Field label={t('ws.botGreeting')} error={null}>
            {(c) => <textarea {...c} rows={2} value={draft.botGreeting} onChange={(e) => set({ botGreeting: e.target.value })} />}
          </Field>
          <Field label={t('ws.botSurvey')} error={null}>
            {(c) => <input {...c} value={draft.botSurveyQuestion} onChange={(e) => set({ botSurveyQuestion: e.target.value })} />}
          </Field>
        </>
      )}
    </section>
  );
}

// Section 7 of the workstream editor: the survey after a conversation an
// agent handled (1-to-5 quick replies, or a link).
import { useI18n } from '../../i18n/i18n';
import { Field } from '../form/Field';
import { Check } from './Check';
import type { Draft } from './draft';

export function SurveyFields({ draft, set, error }: { draft: Draft; set: (p: Partial<Draft>) => void; error: string | null }) {
  const { t } = useI18n();
  return (
    <section className="admin-section" aria-labelledby="ws-s-survey">
      <h2 id="ws-s-survey">{t('ws.s.survey')}</h2>
      <Check label={t('ws.surveyOn')} checked={draft.surveyOn} onChange={(v) => set({ surveyOn: v })} />
      {draft.surveyOn && (
        <>
          <Field label={t('ws.surveyQuestion')} error={error}>
            {(c) => <textarea {...c} rows={2} value={draft.surveyQuestion} onChange={(e) => set({ surveyQuestion: e.target.value })} />}
          </Field>
          <Field label={t('ws.surveyLink')} error={null}>
            {(c) => <input {...c} type="url" value={draft.surveyLink} onChange={(e) => set({ surveyLink: e.target.value })} />}
          </Field>
          <Field label={t('ws.surveyThanks')} error={null}>
            {(c) => <input {...c} value={draft.surveyThanks} onChange={(e) => set({ surveyThanks: e.target.value })} />}
          </Field>
        </>
      )}
    </section>
  );
}

// Section 5 of the workstream editor: how conversations reach agents, with
// exactly the API's Distribution fields.
import { useI18n } from '../../i18n/i18n';
import type { MessageKey } from '../../i18n/dictionary';
import { Field } from '../form/Field';
import { errorFor, type FormProblem } from '../form/formProblem';
import { Check } from './Check';
import { PRESENCES, type Draft } from './draft';

interface Props {
  draft: Draft;
  set: (patch: Partial<Draft>) => void;
  problem: FormProblem | null;
  /** The mode is fixed once the workstream exists. */
  existing: boolean;
}

export function DistributionFields({ draft, set, problem, existing }: Props) {
  const { t } = useI18n();
  const num = (label: MessageKey, field: string, value: string, onChange: (v: string) => void, hint?: MessageKey) => (
    <Field label={t(label)} hint={hint ? t(hint) : undefined} error={errorFor(problem, field)}>
      {(c) => <input {...c} inputMode="numeric" value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
  const presencesError = errorFor(problem, 'allowed_presences');
  return (
    <section className="admin-section" aria-labelledby="ws-s-distribution">
      <h2 id="ws-s-distribution">{t('ws.s.distribution')}</h2>
      <Field label={t('ws.mode')} hint={t('ws.modeHint')} error={errorFor(problem, 'mode')}>
        {(c) => (
          <select {...c} value={draft.mode} disabled={existing} onChange={(e) => set({ mode: e.target.value === 'pick' ? 'pick' : 'push' })}>
            <option value="push">{t('ws.mode.push')}</option>
            <option value="pick">{t('ws.mode.pick')}</option>
          </select>
        )}
      </Field>
      {num('ws.capacityUnits', 'capacity', draft.capacityUnits, (v) => set({ capacityUnits: v }))}
      <Field label={t('ws.capacityProfile')} hint={t('ws.capacityProfileHint')} error={null}>
        {(c) => <input {...c} value={draft.capacityProfile} onChange={(e) => set({ capacityProfile: e.target.value })} />}
      </Field>
      <fieldset className={presencesError ? 'field-invalid' : undefined}>
        <legend>{t('ws.presences')}</legend>
        <p className="help">{t('ws.presencesHint')}</p>
        {PRESENCES.map((p) => (
          <Check
            key={p}
            label={t(`ws.presence.${p}` as MessageKey)}
            checked={draft.allowedPresences.includes(p)}
            onChange={(on) => set({ allowedPresences: on ? [...draft.allowedPresences, p] : draft.allowedPresences.filter((x) => x !== p) })}
          />
        ))}
        {presencesError && (
          <p className="error field-error" role="alert">
            {presencesError}
          </p>
        )}
      </fieldset>
      <Field label={t('ws.skillMatching')} error={null}>
        {(c) => (
          <select {...c} value={draft.skillMatching} onChange={(e) => set({ skillMatching: e.target.value as Draft['skillMatching'] })}>
            {(['exact', 'closest', 'none'] as const).map((s) => (
              <option key={s} value={s}>
                {t(`ws.skill.${s}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Check label={t('ws.affinity')} checked={draft.affinityEnabled} onChange={(on) => set({ affinityEnabled: on })} />
      {num('ws.affinityWait', 'wait_seconds', draft.affinityWait, (v) => set({ affinityWait: v }))}
      {num('ws.offerTimeout', 'offer_timeout_seconds', draft.offerTimeout, (v) => set({ offerTimeout: v }), 'ws.offerTimeoutHint')}
      {num('ws.maxDeclines', 'max_declines', draft.maxDeclines, (v) => set({ maxDeclines: v }), 'ws.maxDeclinesHint')}
      {num('ws.autoClose', 'auto_close_after_seconds', draft.autoClose, (v) => set({ autoClose: v }), 'ws.autoCloseHint')}
      {num('ws.firstResponseAlert', 'first_response_alert_seconds', draft.firstResponseAlert, (v) => set({ firstResponseAlert: v }), 'ws.firstResponseAlertHint')}
      {num('ws.reclaimAfter', 'reclaim_after_seconds', draft.reclaimAfter, (v) => set({ reclaimAfter: v }), 'ws.reclaimAfterHint')}
      {num('ws.handoffAfter', 'handoff_after_seconds', draft.handoffAfter, (v) => set({ handoffAfter: v }), 'ws.handoffAfterHint')}
      <Field label={t('ws.wrapUp')} error={errorFor(problem, 'wrap_up')}>
        {(c) => (
          <select {...c} value={draft.wrapUp} onChange={(e) => set({ wrapUp: e.target.value as Draft['wrapUp'] })}>
            {(['never', 'always', 'seconds'] as const).map((w) => (
              <option key={w} value={w}>
                {t(`ws.wrap.${w}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      {draft.wrapUp === 'seconds' && num('ws.wrapUpSeconds', 'seconds', draft.wrapUpSeconds, (v) => set({ wrapUpSeconds: v }))}
      {num('ws.urgentBefore', 'urgent_before_seconds', draft.urgentBefore, (v) => set({ urgentBefore: v }))}
    </section>
  );
}

// Section 9 of the workstream editor: how long what customers said is kept
// after a conversation closes (transcripts, and Meta's raw payloads). The
// API's invalid_retention shows beside the fields.
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import { Field } from '../form/Field';
import type { Draft } from './draft';

export function RetentionFields({ draft, set, error }: { draft: Draft; set: (p: Partial<Draft>) => void; error: string | null }) {
  const { t } = useI18n();
  return (
    <section className="admin-section" aria-labelledby="ws-s-retention">
      <h2 id="ws-s-retention">{t('ws.s.retention')}</h2>
      <p className="help">{t('ws.retentionHint')}</p>
      <Field label={t('ws.retentionTranscripts')} hint={t('ws.retentionForEver')} error={null}>
        {(c) => <input {...c} inputMode="numeric" value={draft.retentionTranscripts} onChange={(e) => set({ retentionTranscripts: e.target.value })} />}
      </Field>
      <Field label={t('ws.retentionRaw')} hint={t('ws.retentionForEver')} error={null}>
        {(c) => <input {...c} inputMode="numeric" value={draft.retentionRaw} onChange={(e) => set({ retentionRaw: e.target.value })} />}
      </Field>
      <ErrorLine>{error}</ErrorLine>
    </section>
  );
}

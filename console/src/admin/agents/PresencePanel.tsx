// The agent's presence as set and as others see it, and a supervisor's
// change of it (PUT /admin/v1/agents/{id}/presence).
import { useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import type { MessageKey } from '../../i18n/dictionary';
import { useI18n } from '../../i18n/i18n';
import { Field } from '../form/Field';

type Presence = AdminSchemas['Presence'];
type Status = AdminSchemas['BasePresence'];
const STATUSES: Status[] = ['available', 'busy', 'busy_dnd', 'away', 'offline'];

export function PresencePanel({ api, agentId, initial }: { api: Api; agentId: string; initial: Presence }) {
  const { t } = useI18n();
  const [presence, setPresence] = useState(initial);
  const [choice, setChoice] = useState<Status>(initial.status);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const label = (s: Status) => t(`agents.status.${s}` as MessageKey);
  const submit = async () => {
    setBusy(true);
    const r = await api.admin.PUT('/admin/v1/agents/{agent_id}/presence', { params: { path: { agent_id: agentId } }, body: { status: choice } });
    setBusy(false);
    if (r.data) {
      setPresence(r.data);
      setError(null);
    } else setError(problemText(r.error, t('agents.presenceFailed')));
  };
  return (
    <section className="agent-panel" aria-labelledby="agent-presence-heading">
      <h2 id="agent-presence-heading">{t('agents.presence')}</h2>
      <p role="status">
        {t('agents.presenceNow', {
          status: label(presence.status),
          effective: label(presence.effective),
          used: presence.used_capacity,
          capacity: presence.capacity,
        })}
      </p>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field label={t('agents.presenceChoice')} error={error}>
          {(c) => (
            <select {...c} value={choice} onChange={(e) => setChoice(e.target.value as Status)}>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {label(s)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" disabled={busy}>
          {t('agents.setPresence')}
        </button>
      </form>
    </section>
  );
}

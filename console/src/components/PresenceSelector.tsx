// The agent's presence: a base state and, optionally, a custom label.
import { useState } from 'react';
import type { Api } from '../api/client';
import { problemText } from '../api/client';
import type { BasePresence, Presence } from '../api/types';
import { useI18n } from '../i18n/i18n';

const BASES: BasePresence[] = ['available', 'busy', 'busy_dnd', 'away', 'offline'];

export function PresenceSelector({ api, presence, onChange }: { api: Api; presence: Presence | null; onChange: (p: Presence) => void }) {
  const { t } = useI18n();
  const [label, setLabel] = useState('');
  const [error, setError] = useState<string | null>(null);

  const set = async (status: BasePresence, customLabel: string) => {
    setError(null);
    const body = customLabel.trim() ? { status, label: customLabel.trim() } : { status };
    const { data, error: err } = await api.agent.PUT('/agent/v1/presence', { body });
    if (data) onChange(data);
    else setError(problemText(err, t('error', { detail: 'presence' })));
  };

  const status = presence?.status ?? 'offline';
  return (
    <section className="presence" aria-label={t('presence')}>
      <label>
        <span className={`dot dot-${presence?.effective ?? 'offline'}`} aria-hidden="true" />
        {t('presence')}
        <select value={status} onChange={(e) => void set(e.target.value as BasePresence, label)}>
          {BASES.map((b) => (
            <option key={b} value={b}>
              {t(b)}
            </option>
          ))}
        </select>
      </label>
      {presence?.label && <span className="presence-label">{presence.label}</span>}
      {presence && (
        <span className="capacity">
          {presence.used_capacity}/{presence.capacity}
        </span>
      )}
      <form
        className="presence-custom"
        onSubmit={(e) => {
          e.preventDefault();
          void set(status, label);
        }}
      >
        <label>
          <span className="visually-hidden">{t('presenceLabel')}</span>
          <input value={label} maxLength={60} placeholder={t('presenceLabelPlaceholder')} onChange={(e) => setLabel(e.target.value)} />
        </label>
        <button type="submit">{t('setPresence')}</button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

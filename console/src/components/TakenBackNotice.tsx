// Tells the agent which conversations were taken from them: accepted and
// unanswered past the workstream's reclaim time, or handed to someone
// present while they were away too long. Each until dismissed.
import { useI18n } from '../i18n/i18n';
import type { TakenBack } from '../screens/useAgentWork';

interface Props {
  items: TakenBack[];
  onDismiss: (id: string) => void;
}

export function TakenBackNotice({ items, onDismiss }: Props) {
  const { t } = useI18n();
  if (items.length === 0) return null;
  return (
    <section className="notice taken-back" aria-labelledby="taken-back-heading">
      <h2 id="taken-back-heading">{t('takenBack')}</h2>
      <ul>
        {items.map((x) => (
          <li key={x.id} data-conversation={x.id}>
            {t(x.why === 'handed_off' ? 'handedOffText' : 'takenBackText', {
              name: x.name ?? x.id,
              after: x.afterSeconds === null ? t('inTime') : minutesAndSeconds(x.afterSeconds),
            })}{' '}
            <button type="button" className="link" onClick={() => onDismiss(x.id)} aria-label={t('dismissTakenBack', { name: x.name ?? x.id })}>
              {t('dismiss')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** 45 s, 2 min, 10 min 30 s (the same in English and Danish). */
export function minutesAndSeconds(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  if (m === 0) return `${s} s`;
  return s === 0 ? `${m} min` : `${m} min ${s} s`;
}

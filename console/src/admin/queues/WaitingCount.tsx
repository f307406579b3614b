// One queue's waiting count, as a live status.
import { useI18n } from '../../i18n/i18n';
import { WAITING_PAGE, type Waiting } from './useWaiting';

export function WaitingCount({ waiting }: { waiting: Waiting | null | undefined }) {
  const { t } = useI18n();
  if (waiting === undefined) return <span className="queues-waiting">…</span>;
  if (waiting === null) return <span className="queues-waiting">{t('queues.waitingUnknown')}</span>;
  return (
    <span className={`queues-waiting${waiting.count > 0 ? ' queues-waiting-some' : ''}`}>
      {waiting.more ? t('queues.waitingMore', { n: WAITING_PAGE }) : t('queues.waitingCount', { n: waiting.count })}
    </span>
  );
}

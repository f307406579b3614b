// One card per queue: waiting, longest wait, the soonest window closing.
import { useI18n } from '../i18n/i18n';
import { formatDuration } from '../logic/messagingWindow';
import type { Overview } from '../screens/SupervisorView';
import { useNow } from './useNow';

export function QueuesBoard({ queues }: { queues: Overview['queues'] }) {
  const { t } = useI18n();
  const now = useNow(10_000);
  return (
    <section className="queues-board" aria-labelledby="queues-heading">
      <h2 id="queues-heading">{t('liveQueues')}</h2>
      <ul className="cards">
        {queues.map((q) => (
          <li key={q.queue_id} className="queue-card" data-queue={q.queue_id}>
            <h3>{q.name}</h3>
            <p>
              {t('waitingCount')}: <strong data-testid={`waiting-${q.queue_id}`}>{q.waiting}</strong>
            </p>
            <p>
              {t('longestWait')}: {formatDuration(q.longest_wait_seconds * 1000)}
            </p>
            <p>
              {t('soonestWindow')}: {q.soonest_window_closes_at ? formatDuration(Date.parse(q.soonest_window_closes_at) - now) : t('none')}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

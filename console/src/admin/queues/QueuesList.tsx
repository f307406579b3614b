// The table of queues with their live waiting counts.
import { useI18n } from '../../i18n/i18n';
import type { AdminSchemas } from '../../api/types';
import type { Waiting } from './useWaiting';
import { WaitingCount } from './WaitingCount';

interface Props {
  queues: AdminSchemas['Queue'][];
  agents: AdminSchemas['Agent'][];
  waiting: Map<string, Waiting | null>;
  onEdit: (id: string) => void;
}

export function QueuesList({ queues, agents, waiting, onEdit }: Props) {
  const { t } = useI18n();
  if (queues.length === 0) return <p>{t('queues.empty')}</p>;
  return (
    <table className="queues-list">
      <caption className="visually-hidden">{t('queues.title')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('queues.col.name')}</th>
          <th scope="col">{t('queues.col.id')}</th>
          <th scope="col">{t('queues.col.priority')}</th>
          <th scope="col">{t('queues.col.assignment')}</th>
          <th scope="col">{t('queues.col.hours')}</th>
          <th scope="col">{t('queues.col.members')}</th>
          <th scope="col">{t('queues.col.waiting')}</th>
          <th scope="col">{t('queues.col.actions')}</th>
        </tr>
      </thead>
      <tbody>
        {queues.map((q) => (
          <tr key={q.id}>
            <th scope="row">{q.name}</th>
            <td>
              <code>{q.id}</code>
            </td>
            <td>{q.priority}</td>
            <td>{t(`queues.assign.${q.assignment}`)}</td>
            <td>{q.hours ? t('queues.hoursIn', { zone: q.hours.time_zone }) : t('queues.alwaysOpen')}</td>
            <td>
              {agents
                .filter((a) => a.queues.includes(q.id))
                .map((a) => a.name)
                .join(', ')}
            </td>
            <td data-testid={`queues-waiting-${q.id}`}>
              <WaitingCount waiting={waiting.get(q.id)} />
            </td>
            <td>
              <button type="button" onClick={() => onEdit(q.id)}>
                {t('queues.edit', { name: q.name })}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

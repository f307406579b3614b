// The list of agents: presence, load, skills and queues at a glance; each
// row opens the agent's editor.
import type { MessageKey } from '../../i18n/dictionary';
import { useI18n } from '../../i18n/i18n';
import type { Agent } from './model';

export function AgentsList({ agents, onOpen }: { agents: Agent[]; onOpen: (a: Agent) => void }) {
  const { t } = useI18n();
  if (agents.length === 0) return <p>{t('agents.none')}</p>;
  return (
    <table className="admin-table agents-table">
      <caption className="visually-hidden">{t('agents.list')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('agents.col.name')}</th>
          <th scope="col">{t('agents.col.id')}</th>
          <th scope="col">{t('agents.col.presence')}</th>
          <th scope="col">{t('agents.col.load')}</th>
          <th scope="col">{t('agents.col.skills')}</th>
          <th scope="col">{t('agents.col.queues')}</th>
        </tr>
      </thead>
      <tbody>
        {agents.map((a) => (
          <tr key={a.id}>
            <th scope="row">
              <button type="button" className="link-button" aria-label={t('agents.edit', { name: a.name })} onClick={() => onOpen(a)}>
                {a.name}
              </button>
            </th>
            <td>
              <code>{a.id}</code>
            </td>
            <td>{t(`agents.status.${a.presence.effective}` as MessageKey)}</td>
            <td>
              {a.load.used ?? 0} / {a.capacity}
            </td>
            <td>
              {Object.entries(a.skills)
                .map(([s, l]) => `${s} ${l}`)
                .join(', ')}
            </td>
            <td>{a.queues.join(', ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// The queue's members: the agents whose `queues` list it (membership is kept
// on the agent, so saving the queue updates each agent that changed).
import { useI18n } from '../../i18n/i18n';
import type { AdminSchemas } from '../../api/types';

interface Props {
  agents: AdminSchemas['Agent'][];
  members: string[];
  onChange: (members: string[]) => void;
  errors: string[];
}

export function MembersEditor({ agents, members, onChange, errors }: Props) {
  const { t } = useI18n();
  return (
    <section className="admin-section" aria-labelledby="queues-s-members">
      <h2 id="queues-s-members">{t('queues.s.members')}</h2>
      <p className="help">{t('queues.membersHint')}</p>
      {agents.length === 0 && <p>{t('queues.noAgents')}</p>}
      <ul className="queues-members">
        {agents.map((a) => (
          <li key={a.id} className="check">
            <input
              id={`queues-member-${a.id}`}
              type="checkbox"
              checked={members.includes(a.id)}
              onChange={(e) => onChange(e.target.checked ? [...members, a.id] : members.filter((m) => m !== a.id))}
            />
            <label htmlFor={`queues-member-${a.id}`}>
              {a.name} <span className="help">({a.id})</span>
            </label>
          </li>
        ))}
      </ul>
      {errors.map((e) => (
        <p key={e} className="error" role="alert">
          {e}
        </p>
      ))}
    </section>
  );
}

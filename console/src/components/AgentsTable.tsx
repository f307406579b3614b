// Live agents: presence (changeable), load against capacity, their conversations.
import type { Api } from '../api/client';
import type { BasePresence } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { Overview } from '../screens/SupervisorView';

const BASES: BasePresence[] = ['available', 'busy', 'busy_dnd', 'away', 'offline'];

interface Props {
  api: Api;
  agents: Overview['agents'];
  onOpen: (conversationId: string) => void;
  onChanged: () => void;
}

export function AgentsTable({ api, agents, onOpen, onChanged }: Props) {
  const { t } = useI18n();
  const setPresence = async (agentId: string, status: BasePresence) => {
    await api.admin.PUT('/admin/v1/agents/{agent_id}/presence', { params: { path: { agent_id: agentId } }, body: { status } });
    onChanged();
  };
  return (
    <section className="agents-table" aria-labelledby="agents-heading">
      <h2 id="agents-heading">{t('liveAgents')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('agent')}</th>
            <th scope="col">{t('presence')}</th>
            <th scope="col">{t('load')}</th>
            <th scope="col">{t('conversations')}</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr key={a.agent_id} data-agent={a.agent_id}>
              <th scope="row">{a.name}</th>
              <td>
                <label>
                  <span className="visually-hidden">
                    {t('presence')} {a.name}
                  </span>
                  <select value={a.presence.status} onChange={(e) => void setPresence(a.agent_id, e.target.value as BasePresence)}>
                    {BASES.map((b) => (
                      <option key={b} value={b}>
                        {t(b)}
                      </option>
                    ))}
                  </select>
                </label>
              </td>
              <td>
                <meter min={0} max={Math.max(1, a.capacity)} value={a.load} aria-label={`${t('load')} ${a.name}`} />{' '}
                <span data-testid={`load-${a.agent_id}`}>
                  {a.load}/{a.capacity}
                </span>
              </td>
              <td>
                {a.conversations.map((c) => (
                  <button key={c} type="button" className="link" onClick={() => onOpen(c)} aria-label={t('open', { id: c })}>
                    {c}
                  </button>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

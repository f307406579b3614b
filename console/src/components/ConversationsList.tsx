// Every conversation, newest first (a page of them), for the supervisor to open.
import type { AdminPaths } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { FollowUpBadge } from './FollowUpBadge';

export type AdminConversationList = AdminPaths['/admin/v1/conversations']['get']['responses'][200]['content']['application/json']['conversations'];

export function ConversationsList({ conversations, onOpen }: { conversations: AdminConversationList; onOpen: (id: string) => void }) {
  const { t } = useI18n();
  return (
    <section className="all-conversations" aria-labelledby="all-conversations-heading">
      <h2 id="all-conversations-heading">{t('conversations')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">id</th>
            <th scope="col">{t('state')}</th>
            <th scope="col">{t('queue')}</th>
            <th scope="col">{t('agent')}</th>
          </tr>
        </thead>
        <tbody>
          {conversations.map((c) => (
            <tr key={c.id} data-conversation={c.id}>
              <td>
                <button type="button" className="link" onClick={() => onOpen(c.id)} aria-label={t('open', { id: c.id })}>
                  {c.id}
                </button>
                <FollowUpBadge mark={c.routing?.follow_up} />
              </td>
              <td>{t(c.state === 'waiting' ? 'waitingState' : c.state)}</td>
              <td>{c.routing?.queue ?? ''}</td>
              <td>{c.routing?.agent ?? c.routing?.offer?.agent ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

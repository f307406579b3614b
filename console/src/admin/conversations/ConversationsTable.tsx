// The conversations found: customer, page, state, queue, agent, when it was
// created and when the customer last wrote; each opens its detail.
import type { AdminSchemas } from '../../api/types';
import type { MessageKey } from '../../i18n/dictionary';
import { useI18n } from '../../i18n/i18n';
import { FollowUpBadge } from '../../components/FollowUpBadge';

type Conversation = AdminSchemas['Conversation'];

interface Props {
  conversations: Conversation[];
  pageName: (id: string) => string;
  /** A queue's or an agent's name with its id, as the filters name them. */
  queueName: (id: string) => string;
  agentName: (id: string) => string;
  onOpen: (c: Conversation) => void;
}

/** The agent a conversation is offered to or held by. */
function agentOf(c: Conversation): string | undefined {
  return (c.state === 'offered' ? c.routing?.offer?.agent : c.routing?.agent) ?? undefined;
}

function When({ at }: { at: string | null | undefined }) {
  return at ? <time dateTime={at}>{new Date(at).toLocaleString()}</time> : <>–</>;
}

export function ConversationsTable({ conversations, pageName, queueName, agentName, onOpen }: Props) {
  const { t } = useI18n();
  return (
    <table className="admin-table conv-table">
      <caption className="visually-hidden">{t('conv.results')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('conv.col.customer')}</th>
          <th scope="col">{t('conv.col.page')}</th>
          <th scope="col">{t('conv.col.state')}</th>
          <th scope="col">{t('conv.col.queue')}</th>
          <th scope="col">{t('conv.col.agent')}</th>
          <th scope="col">{t('conv.col.created')}</th>
          <th scope="col">{t('conv.col.lastMessage')}</th>
        </tr>
      </thead>
      <tbody>
        {conversations.map((c) => {
          const customer = t('conv.customer', { psid: c.psid });
          return (
            <tr key={c.id} data-state={c.state}>
              <th scope="row">
                <button type="button" className="link-button" aria-label={t('conv.open', { customer })} onClick={() => onOpen(c)}>
                  {customer}
                </button>
                <FollowUpBadge mark={c.routing?.follow_up} />
              </th>
              <td>{pageName(c.page_id)}</td>
              <td>{t(`conv.state.${c.state}` as MessageKey)}</td>
              <td>{c.routing?.queue ? queueName(c.routing.queue) : '–'}</td>
              <td>{agentOf(c) ? agentName(agentOf(c) ?? '') : '–'}</td>
              <td>
                <When at={c.created_at} />
              </td>
              <td>
                <When at={c.last_customer_message_at} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

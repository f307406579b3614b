// The agent's conversations by state, unread counts, time left in the window;
// within a state the window that closes soonest comes first.
import type { ConversationSummary } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { msLeft, windowState } from '../logic/messagingWindow';
import { WindowChip } from './WindowChip';
import { useNow } from './useNow';

const STATES = ['assigned', 'wrap_up'] as const;

export function sortBySoonestWindow(list: ConversationSummary[], now: number): ConversationSummary[] {
  return [...list].sort((a, b) => {
    const wa = windowState(a.last_customer_message_at, now);
    const wb = windowState(b.last_customer_message_at, now);
    const ca = wa.kind === 'closed' ? 1 : 0;
    const cb = wb.kind === 'closed' ? 1 : 0;
    if (ca !== cb) return ca - cb;
    return msLeft(wa) - msLeft(wb);
  });
}

interface Props {
  conversations: ConversationSummary[];
  unread: Record<string, number>;
  names: Record<string, string>;
  openId: string | null;
  onOpen: (id: string) => void;
}

export function Inbox({ conversations, unread, names, openId, onOpen }: Props) {
  const { t } = useI18n();
  const now = useNow(30_000);
  return (
    <nav className="inbox" aria-label={t('inbox')}>
      {STATES.map((s) => {
        const list = sortBySoonestWindow(
          conversations.filter((c) => c.state === s),
          now,
        );
        return (
          <section key={s} aria-labelledby={`inbox-${s}`}>
            <h2 id={`inbox-${s}`}>
              {t(s)} ({list.length})
            </h2>
            {list.length === 0 ? (
              <p className="empty">{t('noConversations')}</p>
            ) : (
              <ul>
                {list.map((c) => {
                  const n = unread[c.id] ?? 0;
                  return (
                    <li key={c.id}>
                      <button type="button" className="inbox-item" aria-current={c.id === openId ? 'true' : undefined} onClick={() => onOpen(c.id)} data-conversation={c.id}>
                        <span className="inbox-name">{names[c.id] ?? c.id}</span>
                        <span className="inbox-queue">{c.queue_id ?? ''}</span>
                        {n > 0 && <span className="badge">{t('unread', { n })}</span>}
                        <WindowChip lastCustomerMessageAt={c.last_customer_message_at} now={now} />
                      </button>
                    </li>
                  );
                })}
              </ul>
            )}
          </section>
        );
      })}
    </nav>
  );
}

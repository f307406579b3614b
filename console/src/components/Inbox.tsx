// The agent's conversations by state, unread counts, the messaging window of
// each (the server's reply_window); within a state the window that closes
// soonest comes first. When a window's closes_at passes, the list is read again.
import type { ConversationSummary } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { bySoonestClose, closesAt } from '../logic/messagingWindow';
import { WindowChip } from './WindowChip';
import { FollowUpBadge } from './FollowUpBadge';
import { useNow } from './useNow';
import { useWindowPassed } from './useWindowPassed';

const STATES = ['assigned', 'wrap_up'] as const;

export function sortBySoonestWindow(list: ConversationSummary[]): ConversationSummary[] {
  return [...list].sort((a, b) => bySoonestClose(a.reply_window, b.reply_window));
}

interface Props {
  conversations: ConversationSummary[];
  unread: Record<string, number>;
  names: Record<string, string>;
  openId: string | null;
  onOpen: (id: string) => void;
  /** A window's closes_at has passed: its state changed on the server. */
  onWindowPassed?: () => void;
}

export function Inbox({ conversations, unread, names, openId, onOpen, onWindowPassed }: Props) {
  const { t } = useI18n();
  const now = useNow(30_000);
  useWindowPassed(
    conversations.map((c) => closesAt(c.reply_window)),
    onWindowPassed,
  );
  return (
    <nav className="inbox" aria-label={t('inbox')}>
      {STATES.map((s) => {
        const list = sortBySoonestWindow(conversations.filter((c) => c.state === s));
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
                        <FollowUpBadge mark={c.follow_up} />
                        <WindowChip replyWindow={c.reply_window} now={now} />
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

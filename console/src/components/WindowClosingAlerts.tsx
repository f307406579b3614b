// The supervisor's window alerts: customers whose messaging window closes
// within the hour with their last message unanswered, soonest first. The
// server escalated them (the top of their queue while they wait); a window
// that closes unanswered counts as abandoned.
import { useI18n } from '../i18n/i18n';
import { formatDuration } from '../logic/messagingWindow';
import type { Overview } from '../screens/SupervisorView';
import { AlertSection } from './AlertSection';
import { useNow } from './useNow';

interface Props {
  alerts: Overview['window_alerts'];
  agents: Overview['agents'];
  onOpen: (conversationId: string) => void;
}

export function WindowClosingAlerts({ alerts, agents, onOpen }: Props) {
  const { t } = useI18n();
  const now = useNow(5_000);
  const name = (id: string) => agents.find((a) => a.agent_id === id)?.name ?? id;
  return (
    <AlertSection id="window-alerts-heading" className="window-alerts" title={t('windowAlerts')} count={alerts.length} empty={t('noWindowAlerts')}>
      {alerts.map((a) => {
        const left = formatDuration(Math.max(0, Date.parse(a.window_closes_at) - now));
        return (
          <li key={a.conversation_id} data-window-alert={a.conversation_id} className="alert-row">
            {a.agent_id ? t('windowClosingHeld', { agent: name(a.agent_id), left }) : t('windowClosingWaiting', { queue: a.queue_id ?? '', left })}{' '}
            <button type="button" className="link" onClick={() => onOpen(a.conversation_id)} aria-label={t('open', { id: a.conversation_id })}>
              {a.conversation_id}
            </button>
          </li>
        );
      })}
    </AlertSection>
  );
}

// The supervisor's first-response alerts: accepted conversations whose agent
// has not answered in the workstream's time, longest-waiting first, each
// with when it will be taken back.
import { useI18n } from '../i18n/i18n';
import { formatDuration } from '../logic/messagingWindow';
import type { Overview } from '../screens/SupervisorView';
import { AlertSection } from './AlertSection';
import { useNow } from './useNow';

interface Props {
  alerts: Overview['alerts'];
  agents: Overview['agents'];
  onOpen: (conversationId: string) => void;
}

export function FirstResponseAlerts({ alerts, agents, onOpen }: Props) {
  const { t } = useI18n();
  const now = useNow(5_000);
  const name = (id: string) => agents.find((a) => a.agent_id === id)?.name ?? id;
  return (
    <AlertSection id="alerts-heading" className="first-response-alerts" title={t('firstResponseAlerts')} count={alerts.length} empty={t('noFirstResponseAlerts')}>
      {alerts.map((a) => (
        <li key={a.conversation_id} data-alert={a.conversation_id} className="alert-row">
          {t('unansweredFor', { agent: name(a.agent_id), waited: formatDuration(Math.max(a.waited_seconds * 1000, now - Date.parse(a.since))) })}
          {a.reclaimed_at && <> {t('reclaimedIn', { left: formatDuration(Math.max(0, Date.parse(a.reclaimed_at) - now)) })}</>}{' '}
          <button type="button" className="link" onClick={() => onOpen(a.conversation_id)} aria-label={t('open', { id: a.conversation_id })}>
            {a.conversation_id}
          </button>
        </li>
      ))}
    </AlertSection>
  );
}

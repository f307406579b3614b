// Why a conversation came to the agent from the workstream's bot: the
// reason the bot gave, or Switchboard's when the bot failed or stayed
// silent. Nothing when it never was with a bot. The transcript above holds
// what the bot said.
import { useI18n } from '../i18n/i18n';

export interface Escalation {
  reason: string;
  by: 'bot' | 'switchboard';
  at: string;
}

export function EscalationNote({ escalation }: { escalation: Escalation | null | undefined }) {
  const { t } = useI18n();
  if (!escalation) return null;
  return (
    <p className="escalation-note" role="note">
      {t(escalation.by === 'bot' ? 'escalatedByBot' : 'escalatedBySwitchboard', { reason: escalation.reason })}
    </p>
  );
}

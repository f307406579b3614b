// The numbered instructions for Meta's app dashboard: the webhook fields
// Switchboard subscribes (graph::SUBSCRIBED_FIELDS; messages and
// message_echoes required, graph::REQUIRED_FIELDS), permissions, Human Agent
// and Business Asset User Profile Access.
import { useI18n } from '../../i18n/i18n';

export const REQUIRED_FIELDS = ['messages', 'message_echoes'];
export const OPTIONAL_FIELDS = ['messaging_postbacks', 'message_deliveries', 'message_reads', 'message_reactions', 'message_edits', 'messaging_referrals', 'messaging_handovers', 'standby'];
export const PERMISSIONS = ['pages_messaging', 'pages_manage_metadata'];

export function MetaChecklist() {
  const { t } = useI18n();
  return (
    <ol className="meta-steps">
      <li>{t('channels.metaStep1')}</li>
      <li>{t('channels.metaStep2')}</li>
      <li>{t('channels.metaStep3', { required: REQUIRED_FIELDS.join(', '), optional: OPTIONAL_FIELDS.join(', ') })}</li>
      <li>{t('channels.metaStep4', { perms: PERMISSIONS.join(', ') })}</li>
      <li>{t('channels.metaStep5')}</li>
      <li>{t('channels.metaStep6')}</li>
    </ol>
  );
}

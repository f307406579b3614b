// The follow-up mark: the conversation's messaging window had closed when it
// was routed (the server's `follow_up`), so it costs no capacity and a
// supervisor decides what becomes of it. Nothing when it is not follow-up work.
import { useI18n } from '../i18n/i18n';

export function FollowUpBadge({ mark }: { mark: { since: string } | null | undefined }) {
  const { t } = useI18n();
  if (!mark) return null;
  const help = t('followUpHelp', { at: new Date(mark.since).toLocaleString() });
  return (
    <span className="badge follow-up" title={help} data-follow-up={mark.since}>
      {t('followUp')}
      <span className="visually-hidden">. {help}</span>
    </span>
  );
}

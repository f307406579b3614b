// "Reconnecting…" while the socket is down; a note while long polling.
import type { FeedStatus } from '../realtime/feed';
import { useI18n } from '../i18n/i18n';

export function ConnectionBar({ status }: { status: FeedStatus }) {
  const { t } = useI18n();
  if (status === 'reconnecting')
    return (
      <div className="connection-bar warn" role="status" data-feed={status}>
        {t('reconnecting')}
      </div>
    );
  if (status === 'polling')
    return (
      <div className="connection-bar info" role="status" data-feed={status}>
        {t('polling')}
      </div>
    );
  return <div className="connection-bar-idle" data-feed={status} />;
}

// An account's alerts at a glance (GET /admin/v1/alerts): which page, and what it says.
import type { MessageKey } from '../../i18n/dictionary';
import { useI18n } from '../../i18n/i18n';
import type { Alert } from './useChannels';

export function AlertList({ alerts, label }: { alerts: Alert[]; label: string }) {
  const { t } = useI18n();
  if (alerts.length === 0) return null;
  return (
    <ul className="channel-alerts" aria-label={label}>
      {alerts.map((a) => (
        <li key={`${a.kind}-${a.page_id}`} className={`alert alert-${a.kind}`} data-kind={a.kind}>
          <strong>{a.page_name}</strong> <span className="alert-kind">{t(`channels.alert.${a.kind}` as MessageKey)}</span>: {a.message}
        </li>
      ))}
    </ul>
  );
}

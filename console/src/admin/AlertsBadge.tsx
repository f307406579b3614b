// The alerts badge in the admin navigation: how many pages need attention,
// and, opened, what each alert says (refreshed every few seconds).
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../api/client';
import type { AdminSchemas } from '../api/types';
import { useI18n } from '../i18n/i18n';

type Alert = AdminSchemas['Alert'];
const REFRESH_MS = 5000;

export function AlertsBadge({ api }: { api: Api }) {
  const { t } = useI18n();
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [open, setOpen] = useState(false);
  const load = useCallback(async () => {
    const r = await api.admin.GET('/admin/v1/alerts');
    if (r.data) setAlerts(r.data.alerts);
  }, [api]);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);
  return (
    <div className="alerts-badge">
      <button type="button" aria-expanded={open} onClick={() => setOpen((o) => !o)} aria-label={t('admin.alertsCount', { count: alerts.length })}>
        {t('admin.alerts')} {alerts.length > 0 && <span className="badge">{alerts.length}</span>}
      </button>
      {open && (
        <section className="alerts-panel" aria-label={t('admin.alerts')}>
          {alerts.length === 0 ? (
            <p className="empty">{t('admin.noAlerts')}</p>
          ) : (
            <ul>
              {alerts.map((a) => (
                <li key={`${a.kind}-${a.account_id}-${a.page_id}`} className={`alert alert-${a.kind}`}>
                  <strong>{a.page_name}</strong> ({a.account_id}/{a.page_id}): {a.message}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}

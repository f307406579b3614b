// The channels section of the admin console: the channel accounts with
// their pages' states and alerts, refreshed live, and "Connect a Facebook account".
import { useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import { AccountCard } from './AccountCard';
import { ConnectFlow } from './ConnectFlow';
import { useChannels } from './useChannels';
import './channels.css';

export function ChannelsScreen({ api }: { api: Api }) {
  const { t } = useI18n();
  const { data, error, reload } = useChannels(api);
  const [connecting, setConnecting] = useState(false);
  const [now, setNow] = useState(() => new Date());
  useEffect(() => setNow(new Date()), [data]);
  const changed = () => void reload();
  return (
    <main className="admin-channels">
      <h1>{t('channels.title')}</h1>
      <p className="help">{t('channels.intro')}</p>
      <ErrorLine>{error && t('channels.loadFailed', { detail: error })}</ErrorLine>
      {connecting ? (
        <ConnectFlow api={api} data={data} now={now} onChanged={changed} onClose={() => setConnecting(false)} />
      ) : (
        <div className="form-actions">
          <button type="button" className="primary" onClick={() => setConnecting(true)}>
            {t('channels.connect')}
          </button>
        </div>
      )}
      {!data ? (
        <p className="loading">{t('channels.loading')}</p>
      ) : data.accounts.length === 0 ? (
        <p className="empty">{t('channels.none')}</p>
      ) : (
        data.accounts.map((a) => (
          <AccountCard key={a.id} api={api} account={a} pages={data.pages[a.id] ?? []} alerts={data.alerts.filter((x) => x.account_id === a.id)} now={now} onChanged={changed} />
        ))
      )}
    </main>
  );
}

// A page's token health: when the token and its data access end, the last
// check, and a warning within 14 days of either end.
import { useI18n } from '../../i18n/i18n';
import { expiry } from './tokenHealth';
import type { Page } from './useChannels';

export function TokenHealthView({ page, now }: { page: Page; now: Date }) {
  const { t, lang } = useI18n();
  const tok = page.token;
  const fmt = (d: Date) => d.toLocaleString(lang === 'da' ? 'da-DK' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  if (!tok)
    return (
      <div className="token-health">
        <h5>{t('channels.tokenHealth')}</h5>
        <p className="help">{t('channels.notChecked')}</p>
      </div>
    );
  const token = expiry(tok.expires_at, now);
  const data = expiry(tok.data_access_expires_at, now);
  return (
    <div className="token-health">
      <h5>{t('channels.tokenHealth')}</h5>
      <dl>
        <dt>{t('channels.tokenExpires')}</dt>
        <dd data-testid="token-expires">{token.at ? fmt(token.at) : t('channels.never')}</dd>
        <dt>{t('channels.dataAccessExpires')}</dt>
        <dd data-testid="data-access-expires">{data.at ? fmt(data.at) : t('channels.never')}</dd>
        <dt>{t('channels.lastCheck')}</dt>
        <dd>{tok.checked_at ? fmt(new Date(tok.checked_at)) : t('channels.notChecked')}</dd>
      </dl>
      {token.soon && token.at && <p className="warning">{t('channels.expiresSoon', { when: fmt(token.at) })}</p>}
      {data.soon && data.at && <p className="warning">{t('channels.dataAccessSoon', { when: fmt(data.at) })}</p>}
    </div>
  );
}

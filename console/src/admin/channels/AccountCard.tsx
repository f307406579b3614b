// One channel account: its App ID, callback URL and webhook verification,
// its alerts at a glance, its pages, "Add page", "Replace app secret" and "Remove account".
import { useId, useState } from 'react';
import type { Api } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { CopyButton } from '../form/CopyButton';
import { AddPageForm } from './AddPageForm';
import { AlertList } from './AlertList';
import { PageCard, pageConsequences } from './PageCard';
import { RemoveButton } from './RemoveButton';
import { SecretForm } from './SecretForm';
import { StateBadge } from './StateBadge';
import { VerifiedLine } from './VerifiedLine';
import type { Account, Alert, Page } from './useChannels';

interface Props {
  api: Api;
  account: Account;
  pages: Page[];
  alerts: Alert[];
  now: Date;
  onChanged: () => void;
}

export function AccountCard({ api, account, pages, alerts, now, onChanged }: Props) {
  const { t } = useI18n();
  const headingId = useId();
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState(false);
  const path = { account_id: account.id };
  return (
    <section className="account-card" aria-labelledby={headingId} data-account-id={account.id}>
      <header>
        <h2 id={headingId}>{account.name}</h2>
        <span className="app-id">{t('channels.appIdIs', { id: account.app_id })}</span>
        <ul className="glance">
          {pages.map((p) => (
            <li key={p.page_id}>
              {p.name} <StateBadge page={p} />
            </li>
          ))}
        </ul>
      </header>
      <AlertList alerts={alerts} label={t('channels.accountAlerts', { account: account.name })} />
      <p className="callback">
        {t('channels.callbackUrl')}: <code>{account.callback_url}</code> <CopyButton value={account.callback_url} what={t('channels.callbackUrl')} />
      </p>
      <p className="callback">
        {t('channels.dataDeletionUrl')}: <code>{account.data_deletion_url}</code>{' '}
        <CopyButton value={account.data_deletion_url} what={t('channels.dataDeletionUrl')} />
      </p>
      <VerifiedLine at={account.webhook_verified_at} />
      <h3>{t('channels.pagesOf', { account: account.name })}</h3>
      {pages.length === 0 && <p className="empty">{t('channels.noPages')}</p>}
      {pages.map((p) => (
        <PageCard key={p.page_id} api={api} page={p} now={now} onChanged={onChanged} />
      ))}
      <div className="account-actions">
        <button type="button" aria-expanded={adding} onClick={() => setAdding((a) => !a)}>
          {t('channels.addPage')}
        </button>
        <button type="button" aria-expanded={secret} onClick={() => setSecret((s) => !s)}>
          {t('channels.replaceSecret')}
        </button>
        <RemoveButton
          label={t('channels.removeAccount')}
          title={t('channels.removeAccountTitle', { name: account.name })}
          consequences={[t('channels.removeAllPages', { count: pages.length }), ...pageConsequences(t), t('channels.removeSecret')]}
          onRemove={async () => ({ error: (await api.admin.DELETE('/admin/v1/accounts/{account_id}', { params: { path } })).error })}
          onRemoved={onChanged}
        />
      </div>
      {adding && (
        <div className="account-form">
          <h3>{t('channels.addPageTitle', { account: account.name })}</h3>
          <AddPageForm api={api} accountId={account.id} onAdded={onChanged} />
        </div>
      )}
      {secret && (
        <div className="account-form">
          <h3>{t('channels.replaceSecret')}</h3>
          <SecretForm
            label={t('channels.newSecret')}
            submitLabel={t('channels.replaceSecret')}
            field="app_secret"
            savedText={t('channels.secretReplaced')}
            onSubmit={async (app_secret) => ({ error: (await api.admin.PATCH('/admin/v1/accounts/{account_id}', { params: { path }, body: { app_secret } })).error })}
          />
        </div>
      )}
    </section>
  );
}

// One page of an account: its state, Meta's reason and what to do, its
// token health, its Conversation Routing, "Replace token", "Check now"
// and "Remove page".
import { useId } from 'react';
import type { Api } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { CheckNow } from './CheckNow';
import { ConversationRoutingForm } from './ConversationRoutingForm';
import { PageReason } from './PageReason';
import { RemoveButton } from './RemoveButton';
import { SecretForm } from './SecretForm';
import { StateBadge } from './StateBadge';
import { TokenHealthView } from './TokenHealthView';
import type { Page } from './useChannels';

interface Props {
  api: Api;
  page: Page;
  now: Date;
  onChanged: () => void;
}

export function pageConsequences(t: ReturnType<typeof useI18n>['t']): string[] {
  return [t('channels.removeUnsubscribe'), t('channels.removeClose'), t('channels.removeToken'), t('channels.removeKept')];
}

export function PageCard({ api, page, now, onChanged }: Props) {
  const { t } = useI18n();
  const path = { account_id: page.account_id, page_id: page.page_id };
  const headingId = useId();
  return (
    <article className="page-card" aria-labelledby={headingId} data-page-id={page.page_id}>
      <header>
        <h4 id={headingId}>{page.name}</h4>
        <span className="page-id">{page.page_id}</span>
        <StateBadge page={page} />
      </header>
      <PageReason page={page} />
      <TokenHealthView page={page} now={now} />
      <ConversationRoutingForm api={api} page={page} onSaved={onChanged} />
      <div className="page-actions">
        <SecretForm
          label={t('channels.newToken')}
          submitLabel={t('channels.replaceToken')}
          field="access_token"
          savedText={t('admin.saved')}
          onSubmit={async (access_token) => {
            const r = await api.admin.PUT('/admin/v1/accounts/{account_id}/pages/{page_id}/token', { params: { path }, body: { access_token } });
            onChanged();
            return { error: r.error };
          }}
        />
        <CheckNow api={api} page={page} onChecked={onChanged} />
        <RemoveButton
          label={t('channels.removePage')}
          title={t('channels.removePageTitle', { name: page.name })}
          consequences={pageConsequences(t)}
          onRemove={async () => ({ error: (await api.admin.DELETE('/admin/v1/accounts/{account_id}/pages/{page_id}', { params: { path } })).error })}
          onRemoved={onChanged}
        />
      </div>
    </article>
  );
}

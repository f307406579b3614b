// "Check now": provision a page again with its stored token (after fixing
// something in Meta), saying when it is done or what went wrong.
import { useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import type { Page } from './useChannels';

export function CheckNow({ api, page, onChecked }: { api: Api; page: Page; onChecked: () => void }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');
  const [error, setError] = useState<string | null>(null);
  const check = async () => {
    setBusy(true);
    setSaid('');
    setError(null);
    const r = await api.admin
      .POST('/admin/v1/accounts/{account_id}/pages/{page_id}/check', { params: { path: { account_id: page.account_id, page_id: page.page_id } } })
      .catch((e: unknown) => ({ data: undefined, error: e }));
    setBusy(false);
    if (r.data) setSaid(t('channels.checked'));
    else setError(t('channels.checkFailed', { detail: problemText(r.error, t('channels.notSaved')) }));
    onChecked();
  };
  return (
    <div className="check-now">
      <button type="button" disabled={busy} onClick={() => void check()}>
        {busy ? t('channels.checking') : t('channels.checkNow')}
      </button>
      <span role="status" className="saved">
        {said}
      </span>
      <ErrorLine>{error}</ErrorLine>
    </div>
  );
}

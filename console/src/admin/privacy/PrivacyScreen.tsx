// The privacy section: erase a customer, Meta's data-deletion requests
// (settle the ones Meta could not map), and the erasure log.
import { useState } from 'react';
import type { Api } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { EraseCustomer } from './EraseCustomer';
import { DeletionRequests } from './DeletionRequests';
import { ErasureLog } from './ErasureLog';

export function PrivacyScreen({ api }: { api: Api }) {
  const { t } = useI18n();
  // Bumped after an erasure, so the lists read again.
  const [round, setRound] = useState(0);
  const changed = () => setRound((r) => r + 1);
  return (
    <main className="admin-privacy">
      <h1>{t('privacy.title')}</h1>
      <p>{t('privacy.intro')}</p>
      <EraseCustomer api={api} onErased={changed} />
      <DeletionRequests api={api} round={round} onChanged={changed} />
      <ErasureLog api={api} round={round} />
    </main>
  );
}

// "Connect a Facebook account" in three steps: the account, the webhook in
// Meta (verify token shown once, forgotten on leaving the step), then pages,
// whose states move live on their cards.
import { useId, useState } from 'react';
import type { Api } from '../../api/client';
import type { MessageKey } from '../../i18n/dictionary';
import { useI18n } from '../../i18n/i18n';
import { AccountForm } from './AccountForm';
import { AddPageForm } from './AddPageForm';
import { PageCard } from './PageCard';
import { WebhookStep } from './WebhookStep';
import type { Channels } from './useChannels';

interface Props {
  api: Api;
  data: Channels | null;
  now: Date;
  onChanged: () => void;
  onClose: () => void;
}

interface Created {
  id: string;
  name: string;
  callbackUrl: string;
  /** Held only during step 2. */
  verifyToken: string | null;
}

const STEPS: MessageKey[] = ['channels.step1', 'channels.step2', 'channels.step3'];

export function ConnectFlow({ api, data, now, onChanged, onClose }: Props) {
  const { t } = useI18n();
  const headingId = useId();
  const [step, setStep] = useState<1 | 2 | 3>(1);
  const [created, setCreated] = useState<Created | null>(null);
  const account = created ? data?.accounts.find((a) => a.id === created.id) : undefined;
  const pages = created ? (data?.pages[created.id] ?? []) : [];
  return (
    <section className="connect-flow" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('channels.connect')}</h2>
      <ol className="steps" aria-label={t('channels.steps')}>
        {STEPS.map((k, i) => (
          <li key={k} aria-current={i + 1 === step ? 'step' : undefined}>
            {i + 1}. {t(k)}
          </li>
        ))}
      </ol>
      <h3>{t('channels.stepOf', { n: step, name: t(STEPS[step - 1] ?? 'channels.step1') })}</h3>
      {step === 1 && (
        <AccountForm
          api={api}
          onCreated={(a) => {
            setCreated({ id: a.id, name: a.name, callbackUrl: a.callback_url, verifyToken: a.verify_token });
            setStep(2);
            onChanged();
          }}
        />
      )}
      {step === 2 && created && (
        <WebhookStep
          callbackUrl={created.callbackUrl}
          verifyToken={created.verifyToken ?? ''}
          verifiedAt={account?.webhook_verified_at}
          onNext={() => {
            setCreated({ ...created, verifyToken: null });
            setStep(3);
          }}
        />
      )}
      {step === 3 && created && (
        <div className="pages-step">
          <AddPageForm api={api} accountId={created.id} onAdded={onChanged} />
          {pages.map((p) => (
            <PageCard key={p.page_id} api={api} page={p} now={now} onChanged={onChanged} />
          ))}
        </div>
      )}
      <div className="form-actions">
        <button type="button" onClick={onClose}>
          {step === 3 ? t('channels.done') : t('channels.closeConnect')}
        </button>
      </div>
    </section>
  );
}

// Step 2 of connecting: the callback URL and the verify token, shown this
// once with copy buttons; Meta's checklist; the live verification line.
import { useI18n } from '../../i18n/i18n';
import { CopyButton } from '../form/CopyButton';
import { MetaChecklist } from './MetaChecklist';
import { VerifiedLine } from './VerifiedLine';

interface Props {
  callbackUrl: string;
  verifyToken: string;
  verifiedAt: string | null | undefined;
  onNext: () => void;
}

export function WebhookStep({ callbackUrl, verifyToken, verifiedAt, onNext }: Props) {
  const { t } = useI18n();
  return (
    <div className="webhook-step">
      <dl className="webhook-values">
        <dt>{t('channels.callbackUrl')}</dt>
        <dd>
          <code data-testid="callback-url">{callbackUrl}</code> <CopyButton value={callbackUrl} what={t('channels.callbackUrl')} />
        </dd>
        <dt>{t('channels.verifyToken')}</dt>
        <dd>
          <code data-testid="verify-token">{verifyToken}</code> <CopyButton value={verifyToken} what={t('channels.verifyToken')} />
        </dd>
      </dl>
      <p className="shown-once warning">{t('channels.shownOnce')}</p>
      <h3>{t('channels.inMeta')}</h3>
      <MetaChecklist />
      <VerifiedLine at={verifiedAt} />
      <div className="form-actions">
        <button type="button" className="primary" onClick={onNext}>
          {t('channels.toPages')}
        </button>
      </div>
    </div>
  );
}

// The live line under the webhook: waiting for Meta's handshake, or green "verified at HH:MM".
import { useI18n } from '../../i18n/i18n';

export function VerifiedLine({ at }: { at: string | null | undefined }) {
  const { t, lang } = useI18n();
  if (!at)
    return (
      <p className="verified verified-waiting" role="status">
        {t('channels.waiting')}
      </p>
    );
  const time = new Date(at).toLocaleTimeString(lang === 'da' ? 'da-DK' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
  return (
    <p className="verified verified-ok" role="status" data-verified="yes">
      {t('channels.verifiedAt', { time })}
    </p>
  );
}

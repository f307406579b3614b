// The messaging window at a glance: "21 h left", amber under 4 h, red under 1 h,
// "HUMAN_AGENT · 5 d left", or "Closed".
import { useI18n } from '../i18n/i18n';
import { formatDuration, windowState } from '../logic/messagingWindow';

export function WindowChip({ lastCustomerMessageAt, now }: { lastCustomerMessageAt: string | null | undefined; now: number }) {
  const { t } = useI18n();
  const w = windowState(lastCustomerMessageAt, now);
  const text =
    w.kind === 'open' ? t('windowLeft', { time: formatDuration(w.msLeft) }) : w.kind === 'human_agent' ? t('windowHumanAgent', { time: formatDuration(w.msLeft) }) : t('windowClosed');
  return (
    <span className={`window-chip tone-${w.tone}`} title={t('windowChipLabel')} data-window={w.kind}>
      <span className="visually-hidden">{t('windowChipLabel')}: </span>
      {text}
    </span>
  );
}

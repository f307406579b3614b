// The messaging window at a glance, from the server's `reply_window`:
// "Window closes in 21 h" (amber under 4 h, red under 1 h), "HUMAN_AGENT
// until 30/11/2026, 14:05", or "Closed".
import type { ReplyWindow } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { formatDuration, formatMoment, windowState } from '../logic/messagingWindow';

export function WindowChip({ replyWindow, now }: { replyWindow: ReplyWindow; now: number }) {
  const { t, lang } = useI18n();
  const w = windowState(replyWindow, now);
  const text =
    w.kind === 'allowed'
      ? t('windowLeft', { time: formatDuration(w.msLeft) })
      : w.kind === 'human_agent'
        ? t('windowHumanAgent', { at: formatMoment(w.closesAt, lang) })
        : w.kind === 'stale'
          ? t('windowChecking')
          : t('windowClosed');
  return (
    <span className={`window-chip tone-${w.tone}`} title={t('windowChipLabel')} data-window={w.kind}>
      <span className="visually-hidden">{t('windowChipLabel')}: </span>
      {text}
    </span>
  );
}

// Opt-in: a desktop notification and a short sound for an offer while the tab is hidden.
import { useEffect, useRef, useState } from 'react';
import type { ConversationDetail } from '../api/types';
import { useI18n } from '../i18n/i18n';

const KEY = 'switchboard.offerAlerts';

export function useOfferAlertsOptIn(): [boolean, (on: boolean) => void] {
  const [on, setOn] = useState(() => {
    try {
      return localStorage.getItem(KEY) === 'on';
    } catch {
      return false;
    }
  });
  const set = (v: boolean) => {
    setOn(v);
    try {
      localStorage.setItem(KEY, v ? 'on' : 'off');
    } catch {
      /* unavailable */
    }
    if (v && 'Notification' in window && Notification.permission === 'default') void Notification.requestPermission();
  };
  return [on, set];
}

function beep(): void {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.1;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.25);
    osc.onended = () => void ctx.close();
  } catch {
    /* no audio */
  }
}

interface Props {
  enabled: boolean;
  onToggle: (on: boolean) => void;
  lastOffer: { id: string; at: number } | null;
  details: Record<string, ConversationDetail>;
}

export function OfferAlerts({ enabled, onToggle, lastOffer, details }: Props) {
  const { t } = useI18n();
  const done = useRef<string | null>(null);
  const detail = lastOffer ? details[lastOffer.id] : undefined;
  useEffect(() => {
    if (!enabled || !lastOffer || !detail || document.visibilityState !== 'hidden') return;
    const key = `${lastOffer.id}:${lastOffer.at}`;
    if (done.current === key) return;
    done.current = key;
    const first = detail.transcript.find((e) => e.from === 'customer')?.text ?? '';
    beep();
    if ('Notification' in window && Notification.permission === 'granted')
      new Notification(t('newOffer', { name: detail.contact.name, text: '' }), { body: first, tag: lastOffer.id });
  }, [enabled, lastOffer, detail, t]);
  return (
    <label className="alerts-toggle">
      <input type="checkbox" checked={enabled} onChange={(e) => onToggle(e.target.checked)} />
      {t('notifications')}
    </label>
  );
}

// An incoming offer: who, what they wrote, which queue, how long they have
// waited, a countdown to expiry; Accept and Decline (keys A and D when the
// card has focus, Alt+A and Alt+D anywhere for the first offer).
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Api } from '../api/client';
import { problemText } from '../api/client';
import type { ConversationDetail, ConversationSummary } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { formatDuration } from '../logic/messagingWindow';
import { useNow } from './useNow';
import { FollowUpBadge } from './FollowUpBadge';

interface Props {
  api: Api;
  summary: ConversationSummary;
  detail: ConversationDetail | undefined;
  onAccepted: () => void;
  onDeclined: () => void;
  first?: boolean;
}

export function OfferCard({ api, summary, detail, onAccepted, onDeclined, first = false }: Props) {
  const { t } = useI18n();
  const now = useNow();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const cardRef = useRef<HTMLElement>(null);
  const name = detail?.contact.name ?? '…';
  const text = detail?.transcript.find((e) => e.from === 'customer')?.text ?? '';
  const expires = summary.offer_expires_at ? Date.parse(summary.offer_expires_at) : null;
  const offeredAt = detail?.transcript.filter((e) => e.from === 'system').at(-1)?.at;
  const total = expires && offeredAt ? Math.max(1, expires - Date.parse(offeredAt)) : null;
  const left = expires ? Math.max(0, expires - now) : null;
  const waited = now - Date.parse(summary.created_at);

  const act = async (what: 'accept' | 'decline') => {
    setBusy(true);
    setError(null);
    const params = { params: { path: { conversation_id: summary.id } } };
    const res =
      what === 'accept'
        ? await api.agent.POST('/agent/v1/conversations/{conversation_id}/accept', params)
        : await api.agent.POST('/agent/v1/conversations/{conversation_id}/decline', params);
    setBusy(false);
    if (res.error) setError(problemText(res.error, t('error', { detail: what })));
    else if (what === 'accept') onAccepted();
    else onDeclined();
  };
  const actRef = useRef(act);
  actRef.current = act;

  useEffect(() => {
    if (!first) return;
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.code === 'KeyA') {
        e.preventDefault();
        void actRef.current('accept');
      } else if (e.code === 'KeyD') {
        e.preventDefault();
        void actRef.current('decline');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [first]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.target !== cardRef.current || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'a' || e.key === 'A') void act('accept');
    if (e.key === 'd' || e.key === 'D') void act('decline');
  };

  return (
    <article className="offer-card" tabIndex={0} ref={cardRef} onKeyDown={onKeyDown} aria-label={`${t('offers')}: ${name}`} data-conversation={summary.id}>
      <div className="offer-head">
        <strong className="offer-name">{name}</strong>
        <span className="offer-queue">
          {t('queue')}: {summary.queue_id ?? t('none')}
        </span>
      </div>
      <FollowUpBadge mark={summary.follow_up} />
      <p className="offer-text">{text}</p>
      <p className="offer-meta">
        <span>{t('waiting', { time: formatDuration(waited) })}</span>
        {left !== null && <span className="offer-expiry"> · {t('expiresIn', { time: formatDuration(left) })}</span>}
      </p>
      {left !== null && total !== null && (
        <div className="countdown" aria-hidden="true">
          <div className="countdown-fill" style={{ width: `${Math.min(100, (left / total) * 100)}%` }} />
        </div>
      )}
      <div className="offer-actions">
        <button type="button" className="primary" disabled={busy} onClick={() => void act('accept')} aria-keyshortcuts="Alt+A">
          {t('accept')}
        </button>
        <button type="button" disabled={busy} onClick={() => void act('decline')} aria-keyshortcuts="Alt+D">
          {t('decline')}
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </article>
  );
}

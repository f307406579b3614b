// A conversation's transcript: the customer on the left; agent, automated,
// survey and page-inbox messages on the right, labelled; system steps as small
// centred lines; internal notes tinted and marked private.
import { useEffect, useRef } from 'react';
import type { TranscriptEntry } from '../api/types';
import { useI18n, type Translate } from '../i18n/i18n';
import { attachmentsOf, entryKey, failureOf, isUnsent, sideOf } from '../logic/transcript';

const STATUS_MARK: Record<string, string> = { queued: '◷', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠' };

function statusText(t: Translate, s: string): string {
  switch (s) {
    case 'queued':
      return t('statusQueued');
    case 'sent':
      return t('statusSent');
    case 'delivered':
      return t('statusDelivered');
    case 'read':
      return t('statusRead');
    default:
      return t('statusFailed');
  }
}

function who(t: Translate, e: TranscriptEntry): string {
  switch (e.from) {
    case 'customer':
      return t('customer');
    case 'agent':
      return e.agent_id ? `${t('agent')} · ${e.agent_id}` : t('agent');
    case 'automated':
      return t('automated');
    case 'survey':
      return t('survey');
    case 'bot':
      return t('bot');
    case 'page_inbox':
      return t('page_inbox');
    case 'note':
      return e.agent_id ? `${t('noteFrom')} · ${e.agent_id}` : t('noteFrom');
    default:
      return t('system');
  }
}

export function TranscriptEntryView({ entry, now, onRetry }: { entry: TranscriptEntry; now: number; onRetry?: (text: string) => void }) {
  const { t } = useI18n();
  const side = sideOf(entry);
  const time = new Date(entry.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (entry.from === 'system') {
    // A system entry that went out (the thread handed back) shows how it went.
    const failed = failureOf(entry);
    return (
      <li className="entry entry-system" data-from="system" data-status={entry.status}>
        <span>{entry.text}</span> <time dateTime={entry.at}>{time}</time>
        {entry.status && (
          <span className={`entry-status status-${entry.status}`}>
            {' '}
            · {statusText(t, entry.status)}
            {failed && <span className="failure"> — {t('failedWith', { code: failed.code || '?', reason: failed.reason })}</span>}
          </span>
        )}
      </li>
    );
  }
  const unsent = isUnsent(entry);
  const failure = failureOf(entry);
  const attachments = attachmentsOf(entry, now);
  return (
    <li className={`entry entry-${entry.from} side-${side}${unsent ? ' unsent' : ''}`} data-from={entry.from} data-status={entry.status}>
      <div className="entry-head">
        <span className="entry-who">{who(t, entry)}</span>
        {entry.from === 'note' && (
          <span className="private">{t('private')}</span>
        )}
        <time dateTime={entry.at}>{time}</time>
      </div>
      {entry.text && <p className="entry-text">{unsent ? <s>{entry.text}</s> : entry.text}</p>}
      {unsent && <p className="entry-note unsent-note">{t('unsent')}</p>}
      {attachments.length > 0 && (
        <ul className="attachments">
          {attachments.map((a, i) => (
            <li key={i}>
              {a.image && a.url ? (
                <a href={a.url} target="_blank" rel="noreferrer noopener">
                  <img src={a.url} alt={a.title ?? t('attachment', { kind: a.kind })} loading="lazy" />
                </a>
              ) : a.url && !a.expired ? (
                <a href={a.url} target="_blank" rel="noreferrer noopener">
                  {a.title ?? t('attachment', { kind: a.kind })}
                </a>
              ) : (
                <span className="expired">
                  {a.title ?? t('attachment', { kind: a.kind })} ({t('linkExpired')})
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {!unsent && entry.note && <p className="entry-note">{entry.note}</p>}
      {entry.quick_replies && entry.quick_replies.length > 0 && (
        <p className="entry-quick">
          {entry.quick_replies.map((q) => (
            <span key={q.payload} className="quick-chip">
              {q.title}
            </span>
          ))}
        </p>
      )}
      {entry.status && (
        <p className={`entry-status status-${entry.status}`}>
          <span aria-hidden="true">{STATUS_MARK[entry.status] ?? ''} </span>
          {statusText(t, entry.status)}
          {failure && <span className="failure"> — {t('failedWith', { code: failure.code || '?', reason: failure.reason })}</span>}
          {failure && onRetry && entry.from === 'agent' && entry.text && (
            <>
              {' '}
              <button type="button" className="link" onClick={() => entry.text && onRetry(entry.text)}>
                {t('retry')}
              </button>
            </>
          )}
        </p>
      )}
    </li>
  );
}

export function Transcript({ entries, now, onRetry }: { entries: TranscriptEntry[]; now: number; onRetry?: (text: string) => void }) {
  const { t } = useI18n();
  const end = useRef<HTMLLIElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'end' });
  }, [entries.length]);
  return (
    <ol className="transcript" aria-label={t('transcript')} tabIndex={0}>
      {entries.map((e, i) => (
        <TranscriptEntryView key={entryKey(e, i)} entry={e} now={now} onRetry={onRetry} />
      ))}
      <li ref={end} className="transcript-end" aria-hidden="true" />
    </ol>
  );
}

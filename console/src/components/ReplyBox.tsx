// The reply box: Enter sends, Shift+Enter adds a line, `/` inserts a canned
// response, quick replies and attachments by URL, a throttled typing
// indicator; the draft is kept per conversation. When no reply is allowed it
// says why instead.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { CannedResponse } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { filterCanned, insertCanned, slashQueryAt, type SlashQuery } from '../logic/canned';
import { loadDraft, saveDraft } from '../auth/drafts';
import { CannedPicker } from './CannedPicker';

export interface OutgoingMessage {
  text?: string;
  attachment?: { type: 'image' | 'audio' | 'video' | 'file'; url: string };
  quick_replies?: { title: string; payload: string }[];
}

interface Props {
  conversationId: string;
  /** Why no reply may be sent now; null when one may. */
  disabledReason: string | null;
  /** A warning shown above an enabled box (e.g. HUMAN_AGENT only). */
  hint: string | null;
  canned: CannedResponse[];
  onSend: (m: OutgoingMessage) => Promise<string | null>;
  onTyping: () => void;
}

const TYPING_EVERY_MS = 5000;

export function ReplyBox({ conversationId, disabledReason, hint, canned, onSend, onTyping }: Props) {
  const { t } = useI18n();
  const [text, setText] = useState(() => loadDraft(conversationId));
  const [slash, setSlash] = useState<SlashQuery | null>(null);
  const [active, setActive] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [quick, setQuick] = useState('');
  const [attachUrl, setAttachUrl] = useState('');
  const [attachType, setAttachType] = useState<'image' | 'audio' | 'video' | 'file'>('image');
  const box = useRef<HTMLTextAreaElement>(null);
  const lastTyping = useRef(0);
  const pendingCaret = useRef<number | null>(null);

  useEffect(() => saveDraft(conversationId, text), [conversationId, text]);
  useEffect(() => {
    if (pendingCaret.current !== null && box.current) {
      box.current.setSelectionRange(pendingCaret.current, pendingCaret.current);
      pendingCaret.current = null;
    }
  }, [text]);

  const matches = slash ? filterCanned(canned, slash.query) : [];

  const change = (value: string, caret: number) => {
    setText(value);
    const q = slashQueryAt(value, caret);
    setSlash(q);
    setActive(0);
    const now = Date.now();
    if (value.trim() && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      onTyping();
    }
  };

  const pick = (c: CannedResponse) => {
    if (!slash) return;
    const next = insertCanned(text, slash, c);
    pendingCaret.current = next.caret;
    setText(next.text);
    setSlash(null);
    box.current?.focus();
  };

  const quickReplies = () =>
    quick
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(0, 13)
      .map((l) => ({ title: l.slice(0, 20), payload: l }));

  const send = async () => {
    const body = text.trim();
    if (!body || busy) return;
    setBusy(true);
    setError(null);
    const qr = quickReplies();
    const problem = await onSend(qr.length ? { text: body, quick_replies: qr } : { text: body });
    setBusy(false);
    if (problem) setError(problem);
    else {
      setText('');
      setQuick('');
      lastTyping.current = 0;
    }
  };

  const sendAttachment = async () => {
    const url = attachUrl.trim();
    if (!/^https:\/\/\S+$/.test(url)) {
      setError(t('attachmentNotHttps'));
      return;
    }
    setBusy(true);
    setError(null);
    const problem = await onSend({ attachment: { type: attachType, url } });
    setBusy(false);
    if (problem) setError(problem);
    else setAttachUrl('');
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (slash && matches.length > 0) {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        setActive((a) => (a + 1) % matches.length);
        return;
      }
      if (e.key === 'ArrowUp') {
        e.preventDefault();
        setActive((a) => (a - 1 + matches.length) % matches.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        const c = matches[active];
        if (c) {
          e.preventDefault();
          pick(c);
          return;
        }
      }
    }
    if (slash && e.key === 'Escape') {
      e.preventDefault();
      setSlash(null);
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  };

  if (disabledReason)
    return (
      <div className="reply-disabled" role="note">
        <label htmlFor={`reply-${conversationId}`}>{t('reply')}</label>
        <textarea id={`reply-${conversationId}`} disabled value={text} aria-describedby={`reply-reason-${conversationId}`} rows={2} readOnly />
        <p id={`reply-reason-${conversationId}`} className="reason">
          {disabledReason}
        </p>
      </div>
    );

  const listId = `canned-${conversationId}`;
  return (
    <form
      className="reply"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      {hint && <p className="hint">{hint}</p>}
      <label htmlFor={`reply-${conversationId}`}>{t('reply')}</label>
      <div className="reply-row">
        <textarea
          id={`reply-${conversationId}`}
          ref={box}
          rows={3}
          // A conversation just opened (accepted or chosen): the reply is what comes next.
          autoFocus
          value={text}
          placeholder={t('replyPlaceholder')}
          aria-keyshortcuts="Enter"
          aria-autocomplete="list"
          aria-controls={slash ? listId : undefined}
          aria-activedescendant={slash && matches.length > 0 ? `${listId}-${active}` : undefined}
          onChange={(e) => change(e.target.value, e.target.selectionStart)}
          onKeyDown={onKeyDown}
          onBlur={() => setSlash(null)}
        />
        <button type="submit" className="primary" disabled={busy || !text.trim()}>
          {t('send')}
        </button>
      </div>
      {slash && <CannedPicker id={listId} matches={matches} active={active} onPick={pick} />}
      <details className="reply-extras">
        <summary>
          {t('quickReplies')} / {t('attachmentUrl')}
        </summary>
        <label>
          {t('quickReplies')}
          <textarea rows={2} value={quick} onChange={(e) => setQuick(e.target.value)} />
        </label>
        <div className="attach-row">
          <label>
            {t('attachmentUrl')}
            <input type="url" value={attachUrl} onChange={(e) => setAttachUrl(e.target.value)} placeholder="https://" />
          </label>
          <label>
            {t('attachmentType')}
            <select value={attachType} onChange={(e) => setAttachType(e.target.value as typeof attachType)}>
              <option value="image">image</option>
              <option value="file">file</option>
              <option value="audio">audio</option>
              <option value="video">video</option>
            </select>
          </label>
          <button type="button" onClick={() => void sendAttachment()} disabled={busy || !attachUrl.trim()}>
            {t('sendAttachment')}
          </button>
        </div>
      </details>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

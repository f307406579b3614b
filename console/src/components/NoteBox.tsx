// An internal note on the conversation: visible to agents and supervisors, never sent.
import { useState } from 'react';
import type { Api } from '../api/client';
import { problemText } from '../api/client';
import { useI18n } from '../i18n/i18n';

export function NoteBox({ api, conversationId, onAdded }: { api: Api; conversationId: string; onAdded: () => void }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const add = async () => {
    if (!text.trim()) return;
    const res = await api.agent.POST('/agent/v1/conversations/{conversation_id}/notes', { params: { path: { conversation_id: conversationId } }, body: { text } });
    if (res.error) setError(problemText(res.error, t('error', { detail: 'note' })));
    else {
      setText('');
      setError(null);
      onAdded();
    }
  };
  return (
    <form
      className="note-box"
      onSubmit={(e) => {
        e.preventDefault();
        void add();
      }}
    >
      <label htmlFor={`note-${conversationId}`}>{t('note')}</label>
      <div className="reply-row">
        <textarea id={`note-${conversationId}`} rows={1} value={text} onChange={(e) => setText(e.target.value)} aria-describedby={`note-help-${conversationId}`} />
        <button type="submit" disabled={!text.trim()}>
          {t('addNote')}
        </button>
      </div>
      <p id={`note-help-${conversationId}`} className="help">
        {t('notePrivate')}
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

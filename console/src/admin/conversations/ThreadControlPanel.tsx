// Conversation Routing on one conversation, for a supervisor: a
// conversation kept as context while another app has the thread can be
// taken; another app's request for the thread can be passed or kept.
// Meta's refusal is shown as it came; nothing changes then.
import { useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { appName } from '../../logic/apps';
import { ErrorLine } from '../form/ErrorLine';

type Conversation = AdminSchemas['Conversation'];
type Action = 'take' | 'pass' | 'keep';

export function ThreadControlPanel({ api, conversation, onChanged }: { api: Api; conversation: Conversation; onChanged: () => void }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState<Action | null>(null);
  const [error, setError] = useState<string | null>(null);
  const thread = conversation.routing?.thread;
  const open = conversation.state !== 'closed';
  const context = open && conversation.state === 'waiting' && !conversation.routing;
  const request = open ? thread?.requested : undefined;
  if (!context && !request && !thread?.gone_to) return null;
  const act = async (action: Action) => {
    setBusy(action);
    setError(null);
    const r = await api.admin
      .POST('/admin/v1/conversations/{conversation_id}/thread-control', { params: { path: { conversation_id: conversation.id } }, body: { action } })
      .catch((e: unknown) => ({ data: undefined, error: e }));
    setBusy(null);
    if (r.data) onChanged();
    else setError(problemText(r.error, t('conv.threadFailed')));
  };
  const requester = appName(t, request?.app_id);
  return (
    <section className="thread-control" aria-labelledby="thread-control-heading">
      <h3 id="thread-control-heading">{t('conv.threadTitle')}</h3>
      {thread?.gone_to && <p>{t('conv.threadGone', { app: appName(t, thread.gone_to) })}</p>}
      {context && (
        <>
          <p>{t('conv.threadContext')}</p>
          <button type="button" className="primary" disabled={busy !== null} onClick={() => void act('take')}>
            {busy === 'take' ? t('conv.threadWorking') : t('conv.threadTake')}
          </button>
        </>
      )}
      {request && (
        <>
          <p>
            {t('conv.threadRequested', { app: requester })}
            {request.metadata && <> {t('conv.threadSaid', { metadata: request.metadata })}</>}
          </p>
          <div className="form-actions">
            <button type="button" disabled={busy !== null} onClick={() => void act('pass')}>
              {busy === 'pass' ? t('conv.threadWorking') : t('conv.threadPass', { app: requester })}
            </button>
            <button type="button" disabled={busy !== null} onClick={() => void act('keep')}>
              {busy === 'keep' ? t('conv.threadWorking') : t('conv.threadKeep')}
            </button>
          </div>
        </>
      )}
      <ErrorLine>{error}</ErrorLine>
    </section>
  );
}

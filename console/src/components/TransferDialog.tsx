// Transfer: to a queue (with its waiting count) or to an agent (presence, free
// capacity); agents who cannot take it now are shown disabled with the reason.
import { useEffect, useRef, useState } from 'react';
import type { Api } from '../api/client';
import { problemText } from '../api/client';
import { useI18n } from '../i18n/i18n';
import { loadTransferTargets, type TransferTargets } from '../api/transferTargets';

interface Props {
  api: Api;
  conversationId: string;
  /** Supervisors reassign through the admin API. */
  asSupervisor: boolean;
  onDone: () => void;
  onCancel: () => void;
  /** Where the choices come from (default: the agent API's transfer targets). */
  loadTargets?: (conversationId: string) => Promise<TransferTargets | null>;
}

export function TransferDialog({ api, conversationId, asSupervisor, onDone, onCancel, loadTargets }: Props) {
  const { t } = useI18n();
  const [targets, setTargets] = useState<TransferTargets | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal?.();
    let cancelled = false;
    void (loadTargets ? loadTargets(conversationId) : loadTransferTargets(api, conversationId)).then((r) => {
      if (cancelled) return;
      setTargets(r);
      setLoaded(true);
    });
    return () => {
      cancelled = true;
    };
  }, [api, conversationId, loadTargets]);

  const go = async (to: { queue_id: string } | { agent_id: string }) => {
    setError(null);
    const res = asSupervisor
      ? await api.admin.POST('/admin/v1/conversations/{conversation_id}/assign', { params: { path: { conversation_id: conversationId } }, body: to })
      : await api.agent.POST('/agent/v1/conversations/{conversation_id}/transfer', { params: { path: { conversation_id: conversationId } }, body: to });
    if (res.error) setError(problemText(res.error, t('error', { detail: 'transfer' })));
    else onDone();
  };

  return (
    <dialog ref={dialog} className="transfer-dialog" aria-labelledby="transfer-title" onCancel={onCancel}>
      <h2 id="transfer-title">{t('transferTitle')}</h2>
      {!loaded && <p role="status">{t('loading')}</p>}
      {loaded && !targets && (
        <p className="error" role="alert">
          {t('error', { detail: 'transfer-targets' })}
        </p>
      )}
      {targets && (
        <>
          <section aria-labelledby="transfer-queues">
            <h3 id="transfer-queues">{t('queues')}</h3>
            <ul>
              {targets.queues.map((q) => (
                <li key={q.queue_id}>
                  <button type="button" onClick={() => void go({ queue_id: q.queue_id })} aria-label={t('transferTo', { name: q.name })}>
                    {q.name}
                  </button>{' '}
                  <span>
                    {t('waitingCount')}: {q.waiting}
                  </span>
                </li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="transfer-agents">
            <h3 id="transfer-agents">{t('agents')}</h3>
            <ul>
              {targets.agents.map((a) => (
                <li key={a.agent_id}>
                  <button type="button" disabled={!a.available_now} onClick={() => void go({ agent_id: a.agent_id })} aria-label={t('transferTo', { name: a.name })} aria-describedby={`why-${a.agent_id}`}>
                    {a.name}
                  </button>{' '}
                  <span id={`why-${a.agent_id}`}>
                    {t(a.presence.effective)} · {a.load}/{a.capacity}
                    {a.available_now ? ` · ${t('canTakeNow')}` : a.reason ? ` · ${a.reason}` : ''}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        </>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="button" onClick={onCancel}>
        {t('cancel')}
      </button>
    </dialog>
  );
}

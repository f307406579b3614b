// One conversation: header with the window chip, the live transcript, the
// reply box (or why no reply is allowed), internal notes, and the actions
// Transfer, End and Close.
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../api/client';
import { problemText } from '../api/client';
import type { CannedResponse, ConversationDetail } from '../api/types';
import { useI18n, type Translate } from '../i18n/i18n';
import { closesAt, formatMoment, windowState, type WindowState } from '../logic/messagingWindow';
import { Transcript } from './Transcript';
import { WindowChip } from './WindowChip';
import { FollowUpBadge } from './FollowUpBadge';
import { EscalationNote } from './EscalationNote';
import { ThreadNote } from './ThreadNote';
import { ReplyBox, type OutgoingMessage } from './ReplyBox';
import { NoteBox } from './NoteBox';
import { TransferDialog } from './TransferDialog';
import type { TransferTargets } from '../api/transferTargets';
import { useNow } from './useNow';
import { useWindowPassed } from './useWindowPassed';

interface Props {
  api: Api;
  agentId: string | null;
  detail: ConversationDetail;
  /** Supervisor drill-in: no reply box; transfer and close through the admin API. */
  readOnly: boolean;
  onChanged: () => void;
  /** It left the agent's hands (transferred). */
  onGone?: () => void;
  loadTargets?: (conversationId: string) => Promise<TransferTargets | null>;
}

/** Why no reply may be sent now (the window from the server's reply_window), or null. */
export function replyBlockedReason(t: Translate, lang: string, d: ConversationDetail, agentId: string | null, readOnly: boolean, w: WindowState): string | null {
  if (readOnly) return t('reasonReadOnly');
  if (d.state === 'closed') return t('reasonClosedConversation');
  if (d.state !== 'assigned' && d.state !== 'wrap_up') return t('reasonNotAssigned');
  if (agentId && d.agent_id && d.agent_id !== agentId) return t('reasonNotAssigned');
  if (w.kind === 'closed') {
    if (w.closedAt === null) return t('reasonNotWritten');
    return t(w.humanAgent ? 'reasonClosed7d' : 'reasonClosed24h', { at: formatMoment(w.closedAt, lang) });
  }
  return null;
}

export function ConversationView({ api, agentId, detail, readOnly, onChanged, onGone, loadTargets }: Props) {
  const { t, lang } = useI18n();
  const now = useNow();
  const [canned, setCanned] = useState<CannedResponse[]>([]);
  const [transferring, setTransferring] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = detail.id;
  const w = windowState(detail.reply_window, now);
  const blocked = replyBlockedReason(t, lang, detail, agentId, readOnly, w);
  const hint = w.kind === 'human_agent' ? t('reasonHumanAgent', { at: formatMoment(w.closesAt, lang) }) : null;
  // Past closes_at the server's answer is stale: read the conversation again.
  useWindowPassed([closesAt(detail.reply_window)], onChanged);

  useEffect(() => {
    if (readOnly) return;
    let cancelled = false;
    void api.agent.GET('/agent/v1/canned-responses', { params: { query: { conversation_id: id } } }).then(({ data }) => {
      if (!cancelled && data) setCanned(data.canned_responses);
    });
    return () => {
      cancelled = true;
    };
  }, [api, id, readOnly]);

  const send = useCallback(
    async (m: OutgoingMessage): Promise<string | null> => {
      const body = m.attachment ? { attachment: m.attachment, ...(m.quick_replies ? { quick_replies: m.quick_replies } : {}) } : { text: m.text ?? '', ...(m.quick_replies ? { quick_replies: m.quick_replies } : {}) };
      const res = await api.agent.POST('/agent/v1/conversations/{conversation_id}/messages', { params: { path: { conversation_id: id } }, body });
      if (res.error) return problemText(res.error, t('error', { detail: String(res.response.status) }));
      onChanged();
      return null;
    },
    [api, id, onChanged, t],
  );

  const typing = useCallback(() => {
    void api.agent.POST('/agent/v1/conversations/{conversation_id}/typing', { params: { path: { conversation_id: id } }, body: { on: true } });
  }, [api, id]);

  const act = async (what: 'end' | 'close') => {
    setError(null);
    const params = { params: { path: { conversation_id: id } } };
    const res = readOnly
      ? await api.admin.POST('/admin/v1/conversations/{conversation_id}/close', params)
      : what === 'end'
        ? await api.agent.POST('/agent/v1/conversations/{conversation_id}/end', params)
        : await api.agent.POST('/agent/v1/conversations/{conversation_id}/close', params);
    if (res.error) setError(problemText(res.error, t('error', { detail: what })));
    onChanged();
  };

  const open = detail.state !== 'closed';
  const mine = !readOnly && (detail.state === 'assigned' || detail.state === 'wrap_up');
  return (
    <section className="conversation" aria-labelledby={`conv-title-${id}`} data-conversation={id} data-state={detail.state}>
      <header className="conversation-head">
        <h2 id={`conv-title-${id}`}>{detail.contact.name}</h2>
        <span className="conv-meta">
          {detail.queue_id ?? ''} · {t(detail.state === 'waiting' ? 'waitingState' : detail.state)}
        </span>
        <WindowChip replyWindow={detail.reply_window} now={now} />
        <FollowUpBadge mark={detail.follow_up} />
        <EscalationNote escalation={detail.escalation} />
        <ThreadNote thread={detail.thread_control} />
      </header>
      <Transcript entries={detail.transcript} now={now} onRetry={blocked ? undefined : (text) => void send({ text })} />
      <ReplyBox conversationId={id} disabledReason={blocked} hint={hint} canned={canned} onSend={send} onTyping={typing} />
      <NoteBox api={api} conversationId={id} onAdded={onChanged} />
      <div className="conversation-actions" role="group" aria-label={t('conversations')}>
        {(mine || (readOnly && open)) && (
          <button type="button" onClick={() => setTransferring(true)}>
            {readOnly ? t('reassign') : t('transfer')}
          </button>
        )}
        {mine && detail.state === 'assigned' && (
          <button type="button" onClick={() => void act('end')}>
            {t('end')}
          </button>
        )}
        {(mine || (readOnly && open)) && (
          <button type="button" onClick={() => void act('close')}>
            {t('close')}
          </button>
        )}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {transferring && (
        <TransferDialog
          api={api}
          conversationId={id}
          asSupervisor={readOnly}
          loadTargets={loadTargets}
          onCancel={() => setTransferring(false)}
          onDone={() => {
            setTransferring(false);
            onChanged();
            if (!readOnly) onGone?.();
          }}
        />
      )}
    </section>
  );
}

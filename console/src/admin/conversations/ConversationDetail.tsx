// One conversation: its state, both sides of it (what went out with its
// status), Meta's raw events, routing diagnostics, Conversation Routing's
// actions, and closing it after a confirmation.
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { AdminPaths, AdminSchemas } from '../../api/types';
import { RoutingDiagnostics } from '../../components/RoutingDiagnostics';
import { Transcript } from '../../components/Transcript';
import type { MessageKey } from '../../i18n/dictionary';
import { useI18n } from '../../i18n/i18n';
import { ConfirmDialog } from '../form/ConfirmDialog';
import { ThreadControlPanel } from './ThreadControlPanel';
import { ErrorLine } from '../form/ErrorLine';

type Conversation = AdminSchemas['Conversation'];
type Event = AdminSchemas['TimelineEvent'];
type Entry = AdminSchemas['TranscriptEntry'];
type Diagnostics = AdminPaths['/admin/v1/conversations/{conversation_id}/routing']['get']['responses'][200]['content']['application/json'];

interface Loaded {
  conversation: Conversation;
  transcript: Entry[];
  events: Event[];
  diagnostics: Diagnostics | null;
}

interface Props {
  api: Api;
  id: string;
  pageName: (id: string) => string;
  onBack: () => void;
  onChanged: () => void;
}

export function ConversationDetail({ api, id, pageName, onBack, onChanged }: Props) {
  const { t } = useI18n();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [closing, setClosing] = useState(false);
  const [closeError, setCloseError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(async () => {
    const path = { params: { path: { conversation_id: id } } };
    const [c, tl, r] = await Promise.all([
      api.admin.GET('/admin/v1/conversations/{conversation_id}', path),
      api.admin.GET('/admin/v1/conversations/{conversation_id}/timeline', path),
      api.admin.GET('/admin/v1/conversations/{conversation_id}/routing', path),
    ]);
    if (c.data && tl.data) {
      setLoaded({ conversation: c.data, transcript: tl.data.transcript, events: tl.data.events, diagnostics: r.data ?? null });
      setError(null);
    } else setError(problemText(c.error ?? tl.error, t('conv.detailFailed')));
  }, [api, id, t]);
  useEffect(() => {
    void load();
  }, [load]);
  const close = async () => {
    setBusy(true);
    const r = await api.admin.POST('/admin/v1/conversations/{conversation_id}/close', { params: { path: { conversation_id: id } } });
    setBusy(false);
    if (r.data) {
      setClosing(false);
      setCloseError(null);
      await load();
      onChanged();
    } else setCloseError(problemText(r.error, t('conv.closeFailed')));
  };
  const c = loaded?.conversation;
  return (
    <section className="conv-detail" aria-labelledby="conv-detail-heading">
      <div className="editor-head">
        <h2 id="conv-detail-heading">{t('conv.detail', { id })}</h2>
        <button type="button" onClick={onBack}>
          {t('conv.back')}
        </button>
      </div>
      <ErrorLine>{error}</ErrorLine>
      {c && loaded && (
        <>
          <p>
            {t('conv.customer', { psid: c.psid })} · {t('conv.page')} {pageName(c.page_id)} · {t('conv.state')}:{' '}
            <strong className="conv-state">{t(`conv.state.${c.state}` as MessageKey)}</strong>
            {c.closed_at && <> · {t('conv.closedAt', { at: new Date(c.closed_at).toLocaleString() })}</>}
          </p>
          {c.state !== 'closed' && (
            <button type="button" className="danger" onClick={() => setClosing(true)}>
              {t('conv.close')}
            </button>
          )}
          <ThreadControlPanel
            api={api}
            conversation={c}
            onChanged={() => {
              void load();
              onChanged();
            }}
          />
          <section aria-labelledby="conv-transcript-heading">
            <h3 id="conv-transcript-heading">{t('conv.transcript')}</h3>
            <Transcript entries={loaded.transcript} now={Date.now()} />
          </section>
          <details className="conv-raw">
            <summary>{t('conv.timeline')}</summary>
            {loaded.events.length === 0 ? (
              <p>{t('conv.noEvents')}</p>
            ) : (
              <ol className="conv-timeline">
                {loaded.events.map((e) => (
                  <li key={`${e.timestamp}-${e.key}`} className={`event-${e.kind}`}>
                    <time dateTime={new Date(e.timestamp).toISOString()}>{new Date(e.timestamp).toLocaleString()}</time>{' '}
                    <span className="event-kind">{t(`conv.kind.${e.kind}` as MessageKey)}</span>
                    {e.text && <q className="event-text">{e.text}</q>}
                    {e.attachments && e.attachments.length > 0 && <span> {t('conv.attachments', { n: e.attachments.length })}</span>}
                  </li>
                ))}
              </ol>
            )}
          </details>
          {loaded.diagnostics && <RoutingDiagnostics diagnostics={loaded.diagnostics} />}
        </>
      )}
      {closing && (
        <ConfirmDialog
          title={t('conv.closeTitle')}
          consequences={[t('conv.closeAgent'), t('conv.closeCustomer'), t('conv.closeHistory')]}
          confirmLabel={t('conv.confirmClose')}
          busy={busy}
          error={closeError}
          onConfirm={() => void close()}
          onCancel={() => {
            setClosing(false);
            setCloseError(null);
          }}
        />
      )}
    </section>
  );
}

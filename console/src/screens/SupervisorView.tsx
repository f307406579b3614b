// The supervisor's view: live queues and agents, any conversation read-only
// with its routing diagnostics (reassign, close), and survey averages.
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../api/client';
import type { AdminPaths, ConversationDetail } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { QueuesBoard } from '../components/QueuesBoard';
import { AgentsTable } from '../components/AgentsTable';
import { ConversationView } from '../components/ConversationView';
import { RoutingDiagnostics } from '../components/RoutingDiagnostics';
import { SurveySummary } from '../components/SurveySummary';

export type Overview = AdminPaths['/admin/v1/overview']['get']['responses'][200]['content']['application/json'];
type Diagnostics = AdminPaths['/admin/v1/conversations/{conversation_id}/routing']['get']['responses'][200]['content']['application/json'];

const REFRESH_MS = 3000;

export function SupervisorView({ api }: { api: Api }) {
  const { t } = useI18n();
  const [overview, setOverview] = useState<Overview | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [detail, setDetail] = useState<ConversationDetail | null>(null);
  const [diagnostics, setDiagnostics] = useState<Diagnostics | null>(null);

  const load = useCallback(async () => {
    const { data } = await api.admin.GET('/admin/v1/overview');
    if (data) setOverview(data);
  }, [api]);

  const loadConversation = useCallback(
    async (id: string) => {
      const [d, r] = await Promise.all([
        api.agent.GET('/agent/v1/conversations/{conversation_id}', { params: { path: { conversation_id: id } } }),
        api.admin.GET('/admin/v1/conversations/{conversation_id}/routing', { params: { path: { conversation_id: id } } }),
      ]);
      setDetail(d.data ?? null);
      setDiagnostics(r.data ?? null);
    },
    [api],
  );

  useEffect(() => {
    void load();
    const timer = setInterval(() => {
      void load();
      if (openId) void loadConversation(openId);
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load, loadConversation, openId]);

  const open = (id: string) => {
    setOpenId(id);
    setDetail(null);
    setDiagnostics(null);
    void loadConversation(id);
  };

  return (
    <main className="supervisor">
      <h1 className="visually-hidden">{t('supervisor')}</h1>
      {overview ? (
        <>
          <QueuesBoard queues={overview.queues} />
          <AgentsTable api={api} agents={overview.agents} onOpen={open} onChanged={() => void load()} />
        </>
      ) : (
        <p role="status">{t('loading')}</p>
      )}
      {openId && (
        <section className="drill-in" aria-label={openId}>
          {detail && (
            <ConversationView
              api={api}
              agentId={null}
              detail={detail}
              readOnly
              onChanged={() => {
                void load();
                void loadConversation(openId);
              }}
            />
          )}
          {diagnostics && <RoutingDiagnostics diagnostics={diagnostics} />}
        </section>
      )}
      <SurveySummary api={api} />
    </main>
  );
}

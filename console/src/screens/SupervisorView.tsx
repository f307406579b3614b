// The supervisor's view: live queues and agents, any conversation read-only
// with its routing diagnostics (reassign, close), and survey averages.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { TransferTargets } from '../api/transferTargets';
import type { Api } from '../api/client';
import type { AdminPaths, ConversationDetail, TranscriptEntry } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { QueuesBoard } from '../components/QueuesBoard';
import { AgentsTable } from '../components/AgentsTable';
import { FirstResponseAlerts } from '../components/FirstResponseAlerts';
import { WindowClosingAlerts } from '../components/WindowClosingAlerts';
import { ServiceLevelToday } from '../components/ServiceLevelToday';
import { ConversationView } from '../components/ConversationView';
import { RoutingDiagnostics } from '../components/RoutingDiagnostics';
import { SurveySummary } from '../components/SurveySummary';
import { ConversationsList, type AdminConversationList } from '../components/ConversationsList';

export type Overview = AdminPaths['/admin/v1/overview']['get']['responses'][200]['content']['application/json'];
type Diagnostics = AdminPaths['/admin/v1/conversations/{conversation_id}/routing']['get']['responses'][200]['content']['application/json'];

type Timeline = AdminPaths['/admin/v1/conversations/{conversation_id}/timeline']['get']['responses'][200]['content']['application/json'];
type AdminConversation = AdminPaths['/admin/v1/conversations/{conversation_id}']['get']['responses'][200]['content']['application/json'];

const REFRESH_MS = 3000;

/**
 * The admin token cannot ask the agent API who can take a conversation: offer
 * the overview's queues and agents, those available with room first.
 */
export function targetsFromOverview(o: Overview): TransferTargets {
  return {
    queues: o.queues.map((q) => ({ queue_id: q.queue_id, name: q.name, waiting: q.waiting })),
    agents: o.agents.map((a) => {
      const free = a.load < a.capacity;
      const present = a.presence.effective === 'available' || a.presence.effective === 'busy';
      return {
        agent_id: a.agent_id,
        name: a.name,
        presence: a.presence,
        load: a.load,
        capacity: a.capacity,
        available_now: free && present,
        reason: !present ? `presence ${a.presence.effective}` : !free ? 'at capacity' : null,
      };
    }),
  };
}

/**
 * The admin token cannot read the agent API: the read-only view from the
 * admin API, whose timeline carries the transcript the agent reads.
 */
export function detailFromAdmin(c: AdminConversation, timeline: Timeline): ConversationDetail {
  const r = c.routing ?? {};
  const entries: TranscriptEntry[] = timeline.transcript;
  return {
    id: c.id,
    state: c.state,
    page_id: c.page_id,
    contact_id: c.contact_id,
    queue_id: r.queue ?? null,
    workstream_id: r.workstream ?? null,
    agent_id: r.agent ?? null,
    last_customer_message_at: c.last_customer_message_at,
    created_at: c.created_at,
    closed_at: c.closed_at ?? null,
    reply_window: c.reply_window,
    follow_up: r.follow_up ?? null,
    escalation: r.bot?.escalated ? { reason: r.bot.escalated.reason, by: r.bot.escalated.by, at: r.bot.escalated.at } : null,
    thread_control: r.thread ? { passed_from: r.thread.passed_from ?? null, metadata: r.thread.metadata ?? null, gone_to: r.thread.gone_to ?? null } : null,
    transcript: entries,
    contact: { id: c.contact_id, name: `Messenger customer …${c.psid.slice(-4)}`, created_at: c.created_at, version: 0 },
  };
}

export function SupervisorView({ api, admin }: { api: Api; admin: boolean }) {
  const { t } = useI18n();
  const [overview, setOverview] = useState<Overview | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [all, setAll] = useState<AdminConversationList>([]);
  const overviewRef = useRef<Overview | null>(null);
  useEffect(() => {
    overviewRef.current = overview;
  }, [overview]);
  const adminTargets = useCallback(async () => (overviewRef.current ? targetsFromOverview(overviewRef.current) : null), []);
  const [detail, setDetail] = useState<ConversationDetail | null>(null);
  const [diagnostics, setDiagnostics] = useState<Diagnostics | null>(null);

  const load = useCallback(async () => {
    const [o, c] = await Promise.all([api.admin.GET('/admin/v1/overview'), api.admin.GET('/admin/v1/conversations', { params: { query: { limit: 50 } } })]);
    if (o.data) setOverview(o.data);
    if (c.data) setAll(c.data.conversations.filter((x) => x.state !== 'closed'));
  }, [api]);

  const loadConversation = useCallback(
    async (id: string) => {
      const path = { params: { path: { conversation_id: id } } };
      const r = await api.admin.GET('/admin/v1/conversations/{conversation_id}/routing', path);
      setDiagnostics(r.data ?? null);
      if (admin) {
        const [c, tl] = await Promise.all([api.admin.GET('/admin/v1/conversations/{conversation_id}', path), api.admin.GET('/admin/v1/conversations/{conversation_id}/timeline', path)]);
        setDetail(c.data && tl.data ? detailFromAdmin(c.data, tl.data) : null);
      } else {
        const d = await api.agent.GET('/agent/v1/conversations/{conversation_id}', path);
        setDetail(d.data ?? null);
      }
    },
    [api, admin],
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
          <WindowClosingAlerts alerts={overview.window_alerts} agents={overview.agents} onOpen={open} />
          <FirstResponseAlerts alerts={overview.alerts} agents={overview.agents} onOpen={open} />
          <ServiceLevelToday api={api} />
          <AgentsTable api={api} agents={overview.agents} onOpen={open} onChanged={() => void load()} />
        </>
      ) : (
        <p role="status">{t('loading')}</p>
      )}
      <ConversationsList conversations={all} onOpen={open} />
      {openId && (
        <section className="drill-in" aria-label={openId}>
          {detail && (
            <ConversationView
              api={api}
              agentId={null}
              detail={detail}
              readOnly
              loadTargets={admin ? adminTargets : undefined}
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

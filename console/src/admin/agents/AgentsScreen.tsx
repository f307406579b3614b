// The agents section of the admin console: the list, and the editor of a new
// or chosen agent (skills, capacity, profiles, queues, presence, sign-in, tokens).
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import { AgentEditor } from './AgentEditor';
import { AgentsList } from './AgentsList';
import { draftOf, emptyDraft, type Agent, type Draft } from './model';
import './agents.css';

/** What the editor shows: nothing, a new agent, or an existing one. */
type Editing = { agent: Agent | null; draft: Draft } | null;

export function AgentsScreen({ api }: { api: Api }) {
  const { t } = useI18n();
  const [agents, setAgents] = useState<Agent[] | null>(null);
  const [queues, setQueues] = useState<AdminSchemas['Queue'][]>([]);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const load = useCallback(async () => {
    const [a, q] = await Promise.all([api.admin.GET('/admin/v1/agents'), api.admin.GET('/admin/v1/queues')]);
    if (a.data) {
      setAgents(a.data.agents);
      setError(null);
    } else setError(problemText(a.error, t('agents.loadFailed')));
    if (q.data) setQueues(q.data.queues);
  }, [api, t]);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <main className="admin-agents">
      <div className="section-head">
        <h1>{t('agents.title')}</h1>
        <button type="button" className="primary" onClick={() => setEditing({ agent: null, draft: emptyDraft() })}>
          {t('agents.new')}
        </button>
      </div>
      <ErrorLine>{error}</ErrorLine>
      {editing ? (
        <AgentEditor
          api={api}
          agent={editing.agent}
          draft={editing.draft}
          queues={queues}
          onDraft={(draft) => setEditing({ ...editing, draft })}
          onSaved={(a) => {
            setEditing({ agent: a, draft: draftOf(a) });
            void load();
          }}
          onDeleted={() => {
            setEditing(null);
            void load();
          }}
          onClose={() => {
            setEditing(null);
            void load();
          }}
        />
      ) : (
        agents && <AgentsList agents={agents} onOpen={(a) => setEditing({ agent: a, draft: draftOf(a) })} />
      )}
    </main>
  );
}

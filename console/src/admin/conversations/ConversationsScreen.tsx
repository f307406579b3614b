// The conversations section of the admin console: search by page, state,
// queue, agent and time (kept in the address), the results a page at a time,
// and one conversation's timeline, routing diagnostics and closing.
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import { formProblem, generalProblem, type FormProblem } from '../form/formProblem';
import { ConversationDetail } from './ConversationDetail';
import { ConversationFilters, type Choice } from './ConversationFilters';
import { ConversationsTable } from './ConversationsTable';
import { apiQuery, filtersFrom, PAGE_SIZE, searchOf, type Filters } from './query';
import './conversations.css';

type Conversation = AdminSchemas['Conversation'];

interface Results {
  list: Conversation[];
  next: string | null;
  /** The last page came back short with a cursor: the search stopped at its budget. */
  short: boolean;
}

const FILTER_FIELDS = ['page_id', 'state', 'queue_id', 'agent_id', 'from', 'to'] as const;

/** The pages, queues and agents the filters offer. */
function useChoices(api: Api) {
  const [choices, setChoices] = useState<{ pages: Choice[]; queues: Choice[]; agents: Choice[] }>({ pages: [], queues: [], agents: [] });
  useEffect(() => {
    let live = true;
    void (async () => {
      const [accounts, queues, agents] = await Promise.all([
        api.admin.GET('/admin/v1/accounts'),
        api.admin.GET('/admin/v1/queues'),
        api.admin.GET('/admin/v1/agents'),
      ]);
      const pageLists = await Promise.all(
        (accounts.data?.accounts ?? []).map((a) => api.admin.GET('/admin/v1/accounts/{account_id}/pages', { params: { path: { account_id: a.id } } })),
      );
      if (!live) return;
      setChoices({
        pages: pageLists.flatMap((r) => r.data?.pages ?? []).map((p) => ({ value: p.page_id, label: `${p.name} (${p.page_id})` })),
        queues: (queues.data?.queues ?? []).map((q) => ({ value: q.id, label: q.name })),
        agents: (agents.data?.agents ?? []).map((a) => ({ value: a.id, label: a.name })),
      });
    })();
    return () => {
      live = false;
    };
  }, [api]);
  return choices;
}

export function ConversationsScreen({ api }: { api: Api }) {
  const { t } = useI18n();
  const [where, setWhere] = useState(() => filtersFrom(window.location.search));
  const [results, setResults] = useState<Results | null>(null);
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [loading, setLoading] = useState(false);
  const choices = useChoices(api);
  useEffect(() => {
    const back = () => setWhere(filtersFrom(window.location.search));
    window.addEventListener('popstate', back);
    return () => window.removeEventListener('popstate', back);
  }, []);
  const go = (filters: Filters, open: string | null) => {
    const search = searchOf(filters, open);
    if (window.location.search !== search) window.history.pushState(null, '', `${window.location.pathname}${search}`);
    setWhere({ filters, open });
  };
  const fetchPage = useCallback(
    async (filters: Filters, cursor: string | null, before: Conversation[]) => {
      setLoading(true);
      const r = await api.admin.GET('/admin/v1/conversations', { params: { query: apiQuery(filters, cursor) } });
      setLoading(false);
      if (r.data) {
        const next = r.data.next_cursor ?? null;
        setResults({ list: [...before, ...r.data.conversations], next, short: next !== null && r.data.conversations.length < PAGE_SIZE });
        setProblem(null);
      } else {
        setProblem(formProblem(r.error, FILTER_FIELDS, t('conv.loadFailed')));
        setResults(null);
      }
    },
    [api, t],
  );
  const key = searchOf(where.filters, null);
  useEffect(() => {
    void fetchPage(filtersFrom(key).filters, null, []);
  }, [fetchPage, key]);
  const pageName = (id: string) => choices.pages.find((p) => p.value === id)?.label ?? id;
  const named = (list: Choice[], id: string) => {
    const name = list.find((x) => x.value === id)?.label;
    return name && name !== id ? `${name} (${id})` : id;
  };
  return (
    <main className="admin-conversations">
      <h1>{t('conv.title')}</h1>
      {where.open ? (
        <ConversationDetail
          api={api}
          id={where.open}
          pageName={pageName}
          onBack={() => go(where.filters, null)}
          onChanged={() => void fetchPage(where.filters, null, [])}
        />
      ) : (
        <>
          <ConversationFilters
            key={key}
            initial={where.filters}
            pages={choices.pages}
            queues={choices.queues}
            agents={choices.agents}
            problem={problem}
            onSearch={(f) => go(f, null)}
          />
          <ErrorLine>{generalProblem(problem)}</ErrorLine>
          <section aria-labelledby="conv-results-heading" aria-busy={loading}>
            <h2 id="conv-results-heading">{t('conv.results')}</h2>
            <p className="help">{t('conv.asOf')}</p>
            {results && results.list.length === 0 && !results.next && <p>{t('conv.none')}</p>}
            {results && results.list.length > 0 && (
              <ConversationsTable
                conversations={results.list}
                pageName={pageName}
                queueName={(id) => named(choices.queues, id)}
                agentName={(id) => named(choices.agents, id)}
                onOpen={(c) => go(where.filters, c.id)}
              />
            )}
            {results?.short && <p className="help">{t('conv.shortPage')}</p>}
            {results?.next && (
              <button type="button" disabled={loading} onClick={() => void fetchPage(where.filters, results.next, results.list)}>
                {t('conv.loadMore')}
              </button>
            )}
          </section>
        </>
      )}
    </main>
  );
}

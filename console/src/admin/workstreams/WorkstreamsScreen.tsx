// The workstreams section of the admin console: the list of workstreams and,
// opened from it, the editor of one (or of a new one).
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import type { Workstream } from './draft';
import type { PageOption } from './PagesPicker';
import { WorkstreamEditor } from './WorkstreamEditor';
import { WorkstreamsList } from './WorkstreamsList';
import './workstreams.css';

// `session` names one opening of the editor (it survives the first save of
// a new one, so nothing shown is lost); `saved` bridges the reload after it.
type View = { kind: 'list' } | { kind: 'new'; session: number } | { kind: 'edit'; id: string; session: number; saved?: Workstream };
let sessions = 0;

interface Loaded {
  workstreams: Workstream[];
  pages: AdminSchemas['Page'][];
  accounts: Map<string, string>;
  queues: AdminSchemas['Queue'][];
}

async function loadAll(api: Api): Promise<Loaded | { error: unknown }> {
  const [ws, acc, qs] = await Promise.all([api.admin.GET('/admin/v1/workstreams'), api.admin.GET('/admin/v1/accounts'), api.admin.GET('/admin/v1/queues')]);
  if (!ws.data) return { error: ws.error };
  if (!acc.data) return { error: acc.error };
  if (!qs.data) return { error: qs.error };
  const pageLists = await Promise.all(acc.data.accounts.map((a) => api.admin.GET('/admin/v1/accounts/{account_id}/pages', { params: { path: { account_id: a.id } } })));
  const failed = pageLists.find((p) => !p.data);
  if (failed) return { error: failed.error };
  return {
    workstreams: ws.data.workstreams,
    pages: pageLists.flatMap((p) => p.data?.pages ?? []),
    accounts: new Map(acc.data.accounts.map((a) => [a.id, a.name])),
    queues: qs.data.queues,
  };
}

export function WorkstreamsScreen({ api }: { api: Api }) {
  const { t } = useI18n();
  const [view, setView] = useState<View>({ kind: 'list' });
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    const r = await loadAll(api);
    if ('error' in r) setError(problemText(r.error, t('ws.loadFailed')));
    else {
      setLoaded(r);
      setError(null);
    }
  }, [api, t]);
  useEffect(() => {
    void reload();
  }, [reload]);

  const editing = view.kind === 'edit' ? (view.saved ?? loaded?.workstreams.find((w) => w.id === view.id) ?? null) : null;
  const pageOptions = (self: string | null): PageOption[] =>
    (loaded?.pages ?? []).map((page) => ({
      page,
      accountName: loaded?.accounts.get(page.account_id) ?? page.account_id,
      takenBy: loaded?.workstreams.find((w) => w.id !== self && w.pages.includes(page.page_id))?.name ?? null,
    }));

  return (
    <main className="admin-workstreams">
      <ErrorLine>{error}</ErrorLine>
      {view.kind === 'list' || !loaded || (view.kind === 'edit' && !editing) ? (
        <>
          <h1>{t('ws.title')}</h1>
          <p className="help">{t('ws.intro')}</p>
          <p>
            <button type="button" onClick={() => setView({ kind: 'new', session: ++sessions })}>
              {t('ws.new')}
            </button>
          </p>
          {loaded ? <WorkstreamsList workstreams={loaded.workstreams} onEdit={(id) => setView({ kind: 'edit', id, session: ++sessions })} /> : !error && <p role="status">{t('ws.loading')}</p>}
        </>
      ) : (
        <WorkstreamEditor
          key={view.session}
          api={api}
          workstream={editing}
          pages={pageOptions(editing?.id ?? null)}
          queues={loaded.queues}
          onSaved={(w) => {
            void reload();
            setView((now) => ({ kind: 'edit', id: w.id, session: 'session' in now ? now.session : ++sessions, saved: w }));
          }}
          onDeleted={() => {
            void reload();
            setView({ kind: 'list' });
          }}
          onBack={() => {
            void reload();
            setView({ kind: 'list' });
          }}
        />
      )}
    </main>
  );
}

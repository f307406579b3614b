// The queues section of the admin console: the list of queues with live
// waiting counts and, opened from it, the editor of one (or of a new one).
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import { QueueEditor } from './QueueEditor';
import { QueuesList } from './QueuesList';
import { useWaiting } from './useWaiting';
import './queues.css';

// `session` names one opening of the editor (it survives the first save of
// a new one, so nothing shown is lost); `saved` bridges the reload after it.
type View = { kind: 'list' } | { kind: 'new'; session: number } | { kind: 'edit'; id: string; session: number; saved?: AdminSchemas['Queue'] };
let sessions = 0;

interface Loaded {
  queues: AdminSchemas['Queue'][];
  agents: AdminSchemas['Agent'][];
}

export function QueuesScreen({ api }: { api: Api }) {
  const { t } = useI18n();
  const [view, setView] = useState<View>({ kind: 'list' });
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    const [qs, ags] = await Promise.all([api.admin.GET('/admin/v1/queues'), api.admin.GET('/admin/v1/agents')]);
    if (qs.data && ags.data) {
      setLoaded({ queues: qs.data.queues, agents: ags.data.agents });
      setError(null);
    } else setError(problemText(qs.error ?? ags.error, t('queues.loadFailed')));
  }, [api, t]);
  useEffect(() => {
    void reload();
  }, [reload]);

  const listing = view.kind === 'list' || !loaded;
  const waiting = useWaiting(api, listing && loaded ? loaded.queues.map((q) => q.id) : []);
  const editing = view.kind === 'edit' ? (view.saved ?? loaded?.queues.find((q) => q.id === view.id) ?? null) : null;
  const toList = () => {
    void reload();
    setView({ kind: 'list' });
  };

  return (
    <main className="admin-queues">
      <ErrorLine>{error}</ErrorLine>
      {listing || (view.kind === 'edit' && !editing) ? (
        <>
          <h1>{t('queues.title')}</h1>
          <p className="help">{t('queues.intro')}</p>
          <p>
            <button type="button" onClick={() => setView({ kind: 'new', session: ++sessions })}>
              {t('queues.new')}
            </button>
          </p>
          {loaded ? <QueuesList queues={loaded.queues} agents={loaded.agents} waiting={waiting} onEdit={(id) => setView({ kind: 'edit', id, session: ++sessions })} /> : !error && <p role="status">{t('queues.loading')}</p>}
        </>
      ) : (
        <QueueEditor
          key={view.session}
          api={api}
          queue={editing}
          queues={loaded.queues}
          agents={loaded.agents}
          onSaved={(q) => {
            void reload();
            setView((now) => ({ kind: 'edit', id: q.id, session: 'session' in now ? now.session : ++sessions, saved: q }));
          }}
          onDeleted={toList}
          onBack={toList}
        />
      )}
    </main>
  );
}

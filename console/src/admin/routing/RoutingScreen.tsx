// The routing section of the admin console: a workstream's rulesets in
// order (edit, reorder, delete, create) and "Try a message".
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { ConfirmDialog } from '../form/ConfirmDialog';
import { ErrorLine } from '../form/ErrorLine';
import { RulesetEditor } from './RulesetEditor';
import { RulesetList } from './RulesetList';
import { blankRuleset, draftOf, move, renumber, type Ruleset, type RulesetDraft } from './rulesetModel';
import { TryMessage, type PageChoice } from './TryMessage';
import './routing.css';

type Editing = { draft: RulesetDraft; isNew: boolean; key: number } | null;

export function RoutingScreen({ api }: { api: Api }) {
  const { t } = useI18n();
  const [workstreams, setWorkstreams] = useState<AdminSchemas['Workstream'][] | null>(null);
  // The workstream to show: the one the address names (a workstream's "Open Routing rules"), else the first.
  const [ws, setWs] = useState(() => new URLSearchParams(window.location.search).get('workstream') ?? '');
  const [rulesets, setRulesets] = useState<Ruleset[] | null>(null);
  const [queues, setQueues] = useState<AdminSchemas['Queue'][]>([]);
  const [pages, setPages] = useState<PageChoice[]>([]);
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<Ruleset | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void (async () => {
      const [w, q, a] = await Promise.all([api.admin.GET('/admin/v1/workstreams'), api.admin.GET('/admin/v1/queues'), api.admin.GET('/admin/v1/accounts')]);
      if (!w.data) {
        setError(problemText(w.error, t('rules.loadFailed')));
        return;
      }
      setWorkstreams(w.data.workstreams);
      setWs((cur) => (w.data.workstreams.some((x) => x.id === cur) ? cur : w.data.workstreams[0]?.id || ''));
      setQueues(q.data?.queues ?? []);
      const lists = await Promise.all(
        (a.data?.accounts ?? []).map((acc) => api.admin.GET('/admin/v1/accounts/{account_id}/pages', { params: { path: { account_id: acc.id } } })),
      );
      setPages(
        lists
          .flatMap((l) => l.data?.pages ?? [])
          .filter((p) => p.provisioning.state !== 'deprovisioned')
          .map((p) => ({ page_id: p.page_id, name: p.name })),
      );
    })();
  }, [api, t]);

  const load = useCallback(async () => {
    if (!ws) return;
    const r = await api.admin.GET('/admin/v1/rulesets', { params: { query: { workstream: ws } } });
    if (r.data) {
      setRulesets(r.data.rulesets);
      setError(null);
    } else setError(problemText(r.error, t('rules.loadFailed')));
  }, [api, ws, t]);

  useEffect(() => {
    void load();
  }, [load]);

  const reorder = async (i: number, by: -1 | 1) => {
    if (!rulesets) return;
    const moved = move(rulesets, i, by);
    setBusy(true);
    setRulesets(moved);
    const changes = renumber(moved);
    const results = await Promise.all(
      changes.map((c) => api.admin.PATCH('/admin/v1/rulesets/{ruleset_id}', { params: { path: { ruleset_id: c.id } }, body: { order: c.order } })),
    );
    setBusy(false);
    const failed = results.find((r) => !r.data);
    const name = rulesets[i]?.name ?? '';
    setStatus(failed ? '' : t('rules.moved', { name, place: i + by + 1 }));
    setError(failed ? problemText(failed.error, t('rules.moveFailed')) : null);
    await load();
  };

  const remove = async () => {
    if (!deleting) return;
    setBusy(true);
    const r = await api.admin.DELETE('/admin/v1/rulesets/{ruleset_id}', { params: { path: { ruleset_id: deleting.id } } });
    setBusy(false);
    if (r.error) {
      setDeleteError(problemText(r.error, t('rules.deleteFailed')));
      return;
    }
    setDeleting(null);
    setDeleteError(null);
    await load();
  };

  const names = Object.fromEntries((rulesets ?? []).map((r) => [r.id, r.name]));
  const nextOrder = Math.max(0, ...(rulesets ?? []).map((r) => r.order)) + 1;

  return (
    <main className="admin-routing">
      <h1>{t('rules.title')}</h1>
      <p className="help">{t('rules.intro')}</p>
      <ErrorLine>{error}</ErrorLine>
      {workstreams === null && !error && <p>{t('rules.loading')}</p>}
      {workstreams?.length === 0 && <p>{t('rules.noWorkstreams')}</p>}
      {workstreams && workstreams.length > 0 && (
        <section className="admin-section" aria-labelledby="rulesets-title">
          <h2 id="rulesets-title">{t('rules.rulesets')}</h2>
          <label className="ws-choice" htmlFor="rules-workstream">
            {t('rules.workstream')}
          </label>
          <select
            id="rules-workstream"
            value={ws}
            onChange={(e) => {
              setWs(e.target.value);
              setEditing(null);
            }}
          >
            {workstreams.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name} ({w.id})
              </option>
            ))}
          </select>
          {rulesets === null ? (
            <p>{t('rules.loading')}</p>
          ) : (
            <RulesetList
              rulesets={rulesets}
              busy={busy}
              onEdit={(r) => setEditing({ draft: draftOf(r), isNew: false, key: Date.now() })}
              onMove={(i, by) => void reorder(i, by)}
              onDelete={(r) => {
                setDeleteError(null);
                setDeleting(r);
              }}
            />
          )}
          <p className="sr-status" role="status">
            {status}
          </p>
          {!editing && (
            <button type="button" className="primary" onClick={() => setEditing({ draft: blankRuleset(ws, nextOrder), isNew: true, key: Date.now() })}>
              {t('rules.new')}
            </button>
          )}
        </section>
      )}
      {editing && (
        <RulesetEditor
          key={editing.key}
          api={api}
          initial={editing.draft}
          isNew={editing.isNew}
          queues={queues}
          onCancel={() => setEditing(null)}
          onSaved={(r) => {
            setEditing(null);
            setStatus(t('rules.saved', { name: r.name }));
            void load();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={t('rules.deleteTitle', { name: deleting.name })}
          consequences={[t('rules.deleteRules', { count: deleting.rules.length }), t('rules.deleteKept')]}
          confirmLabel={t('rules.delete')}
          busy={busy}
          error={deleteError}
          onConfirm={() => void remove()}
          onCancel={() => setDeleting(null)}
        />
      )}
      <TryMessage api={api} pages={pages} names={names} preferred={workstreams?.find((w) => w.id === ws)?.pages[0]} />
    </main>
  );
}

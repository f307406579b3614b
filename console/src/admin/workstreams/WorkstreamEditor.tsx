// The workstream editor: sections in the original product's order (pages,
// language, user features, routing, work distribution, automated messages,
// survey, bot, canned responses). A failed save keeps everything typed and
// shows the API's detail beside the field it concerns.
import { useState } from 'react';
import type { Api } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { BackLink } from '../form/BackLink';
import { DeleteButton } from '../form/DeleteButton';
import { failureOf } from '../form/failureOf';
import { ErrorLine } from '../form/ErrorLine';
import { Field } from '../form/Field';
import { errorFor, generalProblem, type FormProblem } from '../form/formProblem';
import { SubmitButton } from '../form/SubmitButton';
import { QueueSelect } from '../form/QueueSelect';
import { SaveForm } from '../form/SaveForm';
import { pathOf } from '../sections';
import { AutomatedMessages } from './AutomatedMessages';
import { BotFields } from './BotFields';
import { RetentionFields } from './RetentionFields';
import { CannedResponses } from './CannedResponses';
import { Check } from './Check';
import { DistributionFields } from './DistributionFields';
import { fromWorkstream, newWorkstreamOf, patchOf, type Draft, type Workstream } from './draft';
import { PagesPicker, type PageOption } from './PagesPicker';
import { RulesetsSummary } from './RulesetsSummary';
import { SurveyFields } from './SurveyFields';
import { wsProblem } from './wsProblem';

interface Props {
  api: Api;
  workstream: Workstream | null;
  pages: PageOption[];
  queues: AdminSchemas['Queue'][];
  onSaved: (w: Workstream) => void;
  onDeleted: () => void;
  onBack: () => void;
}

export function WorkstreamEditor({ api, workstream, pages, queues, onSaved, onDeleted, onBack }: Props) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<Draft>(() => fromWorkstream(workstream));
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const set = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setSaved(false);
  };
  const existing = workstream !== null;
  const queueName = queues.find((q) => q.id === draft.fallbackQueue)?.name ?? queues[0]?.name ?? 'Billing';

  const save = async () => {
    setBusy(true);
    setSaved(false);
    const r = workstream
      ? await api.admin.PATCH('/admin/v1/workstreams/{workstream_id}', { params: { path: { workstream_id: workstream.id } }, body: patchOf(draft) })
      : await api.admin.POST('/admin/v1/workstreams', { body: newWorkstreamOf(draft) });
    setBusy(false);
    if (r.data) {
      setProblem(null);
      setSaved(true);
      onSaved(r.data);
    } else setProblem(wsProblem(r.error, t('ws.saveFailed')));
  };
  const remove = async (w: Workstream) => {
    const r = await api.admin.DELETE('/admin/v1/workstreams/{workstream_id}', { params: { path: { workstream_id: w.id } } });
    return failureOf(r, t('ws.deleteFailed'));
  };

  const title = workstream ? t('ws.editTitle', { name: workstream.name }) : t('ws.newTitle');
  return (
    <div className="ws-editor">
      <BackLink label={t('ws.back')} onBack={onBack} />
      <h1>{title}</h1>
      <SaveForm label={title} onSave={save}>
        <div className="admin-section">
          <Field label={t('ws.name')} error={errorFor(problem, 'name')}>
            {(c) => <input {...c} value={draft.name} onChange={(e) => set({ name: e.target.value })} />}
          </Field>
          {!existing && (
            <Field label={t('ws.id')} hint={t('ws.idHint')} error={errorFor(problem, 'id')}>
              {(c) => <input {...c} value={draft.id} onChange={(e) => set({ id: e.target.value })} />}
            </Field>
          )}
        </div>
        <section className="admin-section" aria-label={t('ws.s.pages')}>
          <PagesPicker options={pages} selected={draft.pages} onChange={(p) => set({ pages: p })} error={errorFor(problem, 'pages')} />
        </section>
        <section className="admin-section" aria-labelledby="ws-s-language">
          <h2 id="ws-s-language">{t('ws.s.language')}</h2>
          <Field label={t('ws.locale')} hint={t('ws.localeHint')} error={errorFor(problem, 'locale')}>
            {(c) => <input {...c} value={draft.locale} list="ws-locales" onChange={(e) => set({ locale: e.target.value })} />}
          </Field>
          <datalist id="ws-locales">
            {['da', 'en', 'en-GB', 'sv', 'nb', 'de', 'fi'].map((l) => (
              <option key={l} value={l} />
            ))}
          </datalist>
        </section>
        <section className="admin-section" aria-labelledby="ws-s-features">
          <h2 id="ws-s-features">{t('ws.s.features')}</h2>
          <Check label={t('ws.customerAttachments')} checked={draft.customerAttachments} onChange={(v) => set({ customerAttachments: v })} />
          <Check label={t('ws.agentAttachments')} checked={draft.agentAttachments} onChange={(v) => set({ agentAttachments: v })} />
          <Check label={t('ws.humanAgent')} checked={draft.humanAgentTag} onChange={(v) => set({ humanAgentTag: v })} hint={t('ws.humanAgentHint')} />
        </section>
        <section className="admin-section" aria-labelledby="ws-s-routing">
          <h2 id="ws-s-routing">{t('ws.s.routing')}</h2>
          <p className="help">
            {t('ws.routingHint')} <a href={workstream ? `${pathOf('routing')}?workstream=${encodeURIComponent(workstream.id)}` : pathOf('routing')}>{t('ws.routingLink')}</a>
          </p>
          {workstream && <RulesetsSummary api={api} workstream={workstream.id} />}
          <Field label={t('ws.fallbackQueue')} hint={t('ws.fallbackHint')} error={errorFor(problem, 'fallback_queue')}>
            {(c) => <QueueSelect control={c} queues={queues} value={draft.fallbackQueue} none={t('ws.none')} onChange={(q) => set({ fallbackQueue: q })} />}
          </Field>
        </section>
        <DistributionFields draft={draft} set={set} problem={problem} existing={existing} />
        <AutomatedMessages
          messages={draft.messages}
          onChange={(m) => set({ messages: m })}
          sample={{ agentName: 'Anna Jensen', queueName }}
          error={errorFor(problem, 'messages')}
          defaultLocale={draft.locale}
        />
        <SurveyFields draft={draft} set={set} error={errorFor(problem, 'survey')} />
        <BotFields draft={draft} set={set} error={errorFor(problem, 'bot')} />
        <RetentionFields draft={draft} set={set} error={errorFor(problem, 'retention')} />
        <ErrorLine>{generalProblem(problem)}</ErrorLine>
        <div className="form-actions ws-actions">
          <SubmitButton busy={busy} label={existing ? t('ws.save') : t('ws.create')} busyLabel={t('ws.saving')} />
          <span role="status">{saved ? t('ws.saved') : ''}</span>
          {workstream && (
            <DeleteButton
              label={t('ws.delete')}
              title={t('ws.deleteTitle', { name: workstream.name })}
              consequences={[t('ws.deleteConsequence1'), t('ws.deleteConsequence2'), t('ws.deleteConsequence3')]}
              onConfirm={() => remove(workstream)}
              onDone={onDeleted}
            />
          )}
        </div>
      </SaveForm>
      {workstream ? (
        <CannedResponses api={api} workstream={workstream.id} locale={workstream.locale} />
      ) : (
        <section className="admin-section" aria-labelledby="ws-s-canned">
          <h2 id="ws-s-canned">{t('ws.s.canned')}</h2>
          <p>{t('ws.cannedSaveFirst')}</p>
        </section>
      )}
    </div>
  );
}

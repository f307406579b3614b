// The agent's fields (new or existing): id, name, email, capacity, skills
// with levels, capacity profiles and queues; saves through the admin API,
// the problem beside the field it concerns, and keeps what was typed.
import { useState } from 'react';
import type { Api } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import { Field } from '../form/Field';
import { errorFor, formProblem, generalProblem, type FormProblem } from '../form/formProblem';
import { SaveForm } from '../form/SaveForm';
import { agentField, FIELDS, newAgentOf, notWholeNumber, patchOf, type Agent, type Draft } from './model';
import { RowsField } from './RowsField';

type Queue = AdminSchemas['Queue'];

interface Props {
  api: Api;
  /** The agent edited; absent for a new one. */
  agent: Agent | null;
  draft: Draft;
  queues: Queue[];
  onDraft: (d: Draft) => void;
  onSaved: (a: Agent) => void;
}

export function AgentForm({ api, agent, draft, queues, onDraft, onSaved }: Props) {
  const { t } = useI18n();
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const set = (patch: Partial<Draft>) => {
    setSaved(false);
    onDraft({ ...draft, ...patch });
  };
  const save = async () => {
    const notNumber = notWholeNumber(draft);
    if (notNumber) {
      setProblem({ field: notNumber, detail: t('agents.wholeNumber'), code: null });
      return;
    }
    setBusy(true);
    setSaved(false);
    const r = agent
      ? await api.admin.PATCH('/admin/v1/agents/{agent_id}', { params: { path: { agent_id: agent.id } }, body: patchOf(draft) })
      : await api.admin.POST('/admin/v1/agents', { body: newAgentOf(draft) });
    setBusy(false);
    if (r.data) {
      setProblem(null);
      setSaved(true);
      onSaved(r.data);
      return;
    }
    const p = formProblem(r.error, FIELDS, t('agents.saveFailed'));
    // A new agent's 409: the id is taken.
    const field = !agent && r.response.status === 409 ? 'id' : (agentField(p.code, p.detail) ?? p.field);
    setProblem({ ...p, field });
  };
  return (
    <SaveForm className="agent-form" onSave={save}>
      {!agent && (
        <Field label={t('agents.id')} hint={t('agents.idHint')} error={errorFor(problem, 'id')}>
          {(c) => <input {...c} value={draft.id} autoComplete="off" onChange={(e) => set({ id: e.target.value })} />}
        </Field>
      )}
      <Field label={t('agents.name')} error={errorFor(problem, 'name')}>
        {(c) => <input {...c} value={draft.name} autoComplete="off" onChange={(e) => set({ name: e.target.value })} />}
      </Field>
      <Field label={t('agents.email')} error={errorFor(problem, 'email')}>
        {(c) => <input {...c} type="email" value={draft.email} autoComplete="off" onChange={(e) => set({ email: e.target.value })} />}
      </Field>
      <Field label={t('agents.capacity')} hint={t('agents.capacityHint')} error={errorFor(problem, 'capacity')}>
        {(c) => (
          <input {...c} type="number" min={0} max={1000} inputMode="numeric" value={draft.capacity} onChange={(e) => set({ capacity: e.target.value })} />
        )}
      </Field>
      <RowsField
        legend={t('agents.skills')}
        hint={t('agents.skillsHint')}
        nameLabel={t('agents.skill')}
        valueLabel={t('agents.level')}
        addLabel={t('agents.addSkill')}
        removeLabel={(name) => t('agents.removeSkill', { name })}
        max={10}
        rows={draft.skills}
        error={errorFor(problem, 'skills')}
        onChange={(skills) => set({ skills })}
      />
      <RowsField
        legend={t('agents.profiles')}
        hint={t('agents.profilesHint')}
        nameLabel={t('agents.profile')}
        valueLabel={t('agents.limit')}
        addLabel={t('agents.addProfile')}
        removeLabel={(name) => t('agents.removeProfile', { name })}
        max={1000}
        rows={draft.profiles}
        error={errorFor(problem, 'profiles')}
        onChange={(profiles) => set({ profiles })}
      />
      <fieldset className={`queue-choice${errorFor(problem, 'queues') ? ' field-invalid' : ''}`}>
        <legend>{t('agents.queues')}</legend>
        {queues.length === 0 && <p className="help">{t('agents.noQueues')}</p>}
        {queues.map((q) => (
          <label key={q.id} className="check">
            <input
              type="checkbox"
              checked={draft.queues.includes(q.id)}
              onChange={(e) => set({ queues: e.target.checked ? [...draft.queues, q.id] : draft.queues.filter((x) => x !== q.id) })}
            />
            {q.name} <span className="muted">({q.id})</span>
          </label>
        ))}
        {errorFor(problem, 'queues') && (
          <p className="error field-error" role="alert">
            {errorFor(problem, 'queues')}
          </p>
        )}
      </fieldset>
      <ErrorLine>{generalProblem(problem)}</ErrorLine>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {agent ? t('agents.save') : t('agents.create')}
        </button>
        <span role="status">{saved ? t('agents.saved') : ''}</span>
      </div>
    </SaveForm>
  );
}

// The queue editor: name, priority and assignment method, operating hours,
// overflow rules, members and the live waiting count. A failed save keeps
// everything typed and shows the API's detail beside the field it concerns.
import { useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { BackLink } from '../form/BackLink';
import { DeleteButton } from '../form/DeleteButton';
import { failureOf } from '../form/failureOf';
import { ErrorLine } from '../form/ErrorLine';
import { Field } from '../form/Field';
import { errorFor, formProblem, generalProblem, type FormProblem } from '../form/formProblem';
import { SubmitButton } from '../form/SubmitButton';
import { SaveForm } from '../form/SaveForm';
import { fromApi, toApi, type HoursModel } from './hours';
import { HoursEditor } from './HoursEditor';
import { MembersEditor } from './MembersEditor';
import { overflowFromApi, overflowToApi, type OverflowModel } from './overflow';
import { OverflowEditor } from './OverflowEditor';
import { useWaiting } from './useWaiting';
import { WaitingCount } from './WaitingCount';

type Queue = AdminSchemas['Queue'];
type Agent = AdminSchemas['Agent'];
type Assignment = Queue['assignment'];
const ASSIGNMENTS: readonly Assignment[] = ['highest_capacity', 'round_robin', 'least_active'];
const FIELDS = ['name', 'id', 'priority', 'assignment', 'hours', 'overflow'] as const;
const DEFAULT_ZONE = 'Europe/Copenhagen';

function queueProblem(error: unknown, fallback: string): FormProblem {
  const p = formProblem(error, FIELDS, fallback);
  if (p.code === 'unknown_queue' || p.code === 'transfer_cycle') return { ...p, field: 'overflow' };
  if (p.code === 'conflict' && !p.field) return { ...p, field: 'id' };
  return p;
}

interface Props {
  api: Api;
  queue: Queue | null;
  queues: Queue[];
  agents: Agent[];
  onSaved: (q: Queue) => void;
  onDeleted: () => void;
  onBack: () => void;
}

export function QueueEditor({ api, queue, queues, agents, onSaved, onDeleted, onBack }: Props) {
  const { t } = useI18n();
  const [id, setId] = useState(queue?.id ?? '');
  const [name, setName] = useState(queue?.name ?? '');
  const [priority, setPriority] = useState(String(queue?.priority ?? 10));
  const [assignment, setAssignment] = useState<Assignment>(queue?.assignment ?? 'highest_capacity');
  const [hours, setHours] = useState<HoursModel>(() => fromApi(queue?.hours, DEFAULT_ZONE));
  const [overflow, setOverflow] = useState<OverflowModel>(() => overflowFromApi(queue?.overflow));
  const [members, setMembers] = useState<string[]>(() => (queue ? agents.filter((a) => a.queues.includes(queue.id)).map((a) => a.id) : []));
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [memberErrors, setMemberErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const waiting = useWaiting(api, queue ? [queue.id] : []);
  const touched = <T,>(f: (v: T) => void) => (v: T) => {
    f(v);
    setSaved(false);
  };

  /** Each agent whose membership changed gets its queues patched. */
  const saveMembers = async (queueId: string): Promise<string[]> => {
    const failures: string[] = [];
    for (const a of agents) {
      const want = members.includes(a.id);
      if (want === a.queues.includes(queueId)) continue;
      const next = want ? [...a.queues, queueId] : a.queues.filter((q) => q !== queueId);
      const r = await api.admin.PATCH('/admin/v1/agents/{agent_id}', { params: { path: { agent_id: a.id } }, body: { queues: next } });
      if (!r.data) failures.push(t('queues.memberFailed', { agent: a.name, detail: problemText(r.error, '') }));
    }
    return failures;
  };

  const save = async () => {
    setBusy(true);
    setSaved(false);
    const prio = priority.trim() === '' ? NaN : Number(priority.trim());
    const h = toApi(hours);
    const body = { name, priority: prio, assignment, overflow: overflowToApi(overflow) };
    const r = queue
      ? await api.admin.PATCH('/admin/v1/queues/{queue_id}', { params: { path: { queue_id: queue.id } }, body: { ...body, hours: h } })
      : await api.admin.POST('/admin/v1/queues', { body: { ...body, id: id.trim(), ...(h ? { hours: h } : {}) } });
    if (!r.data) {
      setBusy(false);
      setProblem(queueProblem(r.error, t('queues.saveFailed')));
      return;
    }
    setProblem(null);
    const failures = await saveMembers(r.data.id);
    setBusy(false);
    setMemberErrors(failures);
    setSaved(failures.length === 0);
    onSaved(r.data);
  };

  const remove = async (q: Queue) => {
    const r = await api.admin.DELETE('/admin/v1/queues/{queue_id}', { params: { path: { queue_id: q.id } } });
    return failureOf(r, t('queues.deleteFailed'));
  };

  const title = queue ? t('queues.editTitle', { name: queue.name }) : t('queues.newTitle');
  return (
    <div className="queues-editor">
      <BackLink label={t('queues.back')} onBack={onBack} />
      <h1>{title}</h1>
      {queue && (
        <p className="queues-live">
          {t('queues.s.waiting')}:{' '}
          <span role="status" aria-live="polite">
            <WaitingCount waiting={waiting.get(queue.id)} />
          </span>
        </p>
      )}
      <SaveForm label={title} onSave={save}>
        <div className="admin-section">
          <Field label={t('queues.name')} error={errorFor(problem, 'name')}>
            {(c) => <input {...c} value={name} onChange={(e) => touched(setName)(e.target.value)} />}
          </Field>
          {!queue && (
            <Field label={t('queues.id')} hint={t('queues.idHint')} error={errorFor(problem, 'id')}>
              {(c) => <input {...c} value={id} onChange={(e) => touched(setId)(e.target.value)} />}
            </Field>
          )}
          <Field label={t('queues.priority')} hint={t('queues.priorityHint')} error={errorFor(problem, 'priority')}>
            {(c) => <input {...c} inputMode="numeric" value={priority} onChange={(e) => touched(setPriority)(e.target.value)} />}
          </Field>
          <Field label={t('queues.assignment')} error={errorFor(problem, 'assignment')}>
            {(c) => (
              <select {...c} value={assignment} onChange={(e) => touched(setAssignment)(e.target.value as Assignment)}>
                {ASSIGNMENTS.map((a) => (
                  <option key={a} value={a}>
                    {t(`queues.assign.${a}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <HoursEditor model={hours} onChange={touched(setHours)} error={errorFor(problem, 'hours')} />
        <OverflowEditor model={overflow} onChange={touched(setOverflow)} queues={queues.filter((q) => q.id !== queue?.id)} error={errorFor(problem, 'overflow')} />
        <MembersEditor agents={agents} members={members} onChange={touched(setMembers)} errors={memberErrors} />
        <ErrorLine>{generalProblem(problem)}</ErrorLine>
        <div className="form-actions queues-actions">
          <SubmitButton busy={busy} label={queue ? t('queues.save') : t('queues.create')} busyLabel={t('queues.saving')} />
          <span role="status">{saved ? t('queues.saved') : ''}</span>
          {queue && (
            <DeleteButton
              label={t('queues.delete')}
              title={t('queues.deleteTitle', { name: queue.name })}
              consequences={[t('queues.deleteConsequence1'), t('queues.deleteConsequence2')]}
              onConfirm={() => remove(queue)}
              onDone={onDeleted}
            />
          )}
        </div>
      </SaveForm>
    </div>
  );
}

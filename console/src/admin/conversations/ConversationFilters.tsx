// The search form: page, state, queue, agent and a creation-time window;
// the API's problem with a filter beside it.
import { useState } from 'react';
import type { MessageKey } from '../../i18n/dictionary';
import { useI18n } from '../../i18n/i18n';
import { Field } from '../form/Field';
import { errorFor, type FormProblem } from '../form/formProblem';
import { NO_FILTERS, STATES, type Filters } from './query';

export interface Choice {
  value: string;
  label: string;
}

interface Props {
  initial: Filters;
  pages: Choice[];
  queues: Choice[];
  agents: Choice[];
  problem: FormProblem | null;
  onSearch: (f: Filters) => void;
}

export function ConversationFilters({ initial, pages, queues, agents, problem, onSearch }: Props) {
  const { t } = useI18n();
  const [f, setF] = useState(initial);
  const set = (patch: Partial<Filters>) => setF({ ...f, ...patch });
  const select = (label: string, key: keyof Filters, choices: Choice[]) => (
    <Field label={label} error={errorFor(problem, key)}>
      {(c) => (
        <select {...c} value={f[key]} onChange={(e) => set({ [key]: e.target.value })}>
          <option value="">{t('conv.any')}</option>
          {choices.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  return (
    <form
      className="conv-filters"
      aria-label={t('conv.filters')}
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(f);
      }}
    >
      {select(t('conv.page'), 'page_id', pages)}
      {select(
        t('conv.state'),
        'state',
        STATES.map((s) => ({ value: s, label: t(`conv.state.${s}` as MessageKey) })),
      )}
      {select(t('conv.queue'), 'queue_id', queues)}
      {select(t('conv.agent'), 'agent_id', agents)}
      <Field label={t('conv.from')} error={errorFor(problem, 'from')}>
        {(c) => <input {...c} type="datetime-local" value={f.from} onChange={(e) => set({ from: e.target.value })} />}
      </Field>
      <Field label={t('conv.to')} error={errorFor(problem, 'to')}>
        {(c) => <input {...c} type="datetime-local" value={f.to} onChange={(e) => set({ to: e.target.value })} />}
      </Field>
      <div className="form-actions">
        <button type="submit" className="primary">
          {t('conv.search')}
        </button>
        <button
          type="button"
          onClick={() => {
            setF(NO_FILTERS);
            onSearch(NO_FILTERS);
          }}
        >
          {t('conv.reset')}
        </button>
      </div>
    </form>
  );
}

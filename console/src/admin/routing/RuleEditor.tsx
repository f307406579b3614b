// One rule of a ruleset: its name, its condition, and what it sets
// (skills with levels, priority, attributes) or the queue it chooses.
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { Field } from '../form/Field';
import { QueueSelect } from '../form/QueueSelect';
import { ConditionEditor } from './ConditionEditor';
import { pairKey, type Kind, type Pair, type RuleDraft } from './rulesetModel';

interface Props {
  rule: RuleDraft;
  n: number;
  count: number;
  kind: Kind;
  queues: AdminSchemas['Queue'][];
  onChange: (r: RuleDraft) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
  /** The API's problem, when it concerns this rule (and maybe one condition). */
  problem: { condition: number | null; detail: string } | null;
}

export function RuleEditor({ rule, n, count, kind, queues, onChange, onMove, onRemove, problem }: Props) {
  const { t } = useI18n();
  const conditionProblem = problem && problem.condition !== null ? { condition: problem.condition, detail: problem.detail } : null;
  const ruleProblem = problem && problem.condition === null ? problem.detail : null;
  const heading = t('rules.rule', { n });
  return (
    <fieldset className="rule">
      <legend>{heading}</legend>
      <div className="rule-actions">
        <button type="button" disabled={n === 1} onClick={() => onMove(-1)}>
          {t('rules.moveRuleUp', { n })}
        </button>
        <button type="button" disabled={n === count} onClick={() => onMove(1)}>
          {t('rules.moveRuleDown', { n })}
        </button>
        <button type="button" disabled={count === 1} onClick={onRemove}>
          {t('rules.removeRule', { n })}
        </button>
      </div>
      <Field label={t('rules.ruleName')} error={ruleProblem}>
        {(c) => <input {...c} value={rule.name} onChange={(e) => onChange({ ...rule, name: e.target.value })} />}
      </Field>
      <h4>{t('rules.when')}</h4>
      <ConditionEditor node={rule.when} level={0} problem={conditionProblem} onChange={(when) => onChange({ ...rule, when })} />
      <h4>{t('rules.then')}</h4>
      {kind === 'route_to_queue' ? (
        <Field label={t('rules.queue')}>
          {(c) => <QueueSelect control={c} queues={queues} value={rule.queue} none={t('rules.chooseQueue')} withIds onChange={(q) => onChange({ ...rule, queue: q })} />}
        </Field>
      ) : (
        <>
          <Pairs
            title={t('rules.skills')}
            nameLabel={t('rules.skill')}
            valueLabel={t('rules.level')}
            numeric
            addLabel={t('rules.addSkill')}
            removeLabel={(name) => t('rules.removeSkill', { name })}
            rows={rule.skills}
            onChange={(skills) => onChange({ ...rule, skills })}
          />
          <Field label={t('rules.priority')} hint={t('rules.priorityHint')}>
            {(c) => <input {...c} type="number" min={0} value={rule.priority} onChange={(e) => onChange({ ...rule, priority: e.target.value })} />}
          </Field>
          <Pairs
            title={t('rules.attributes')}
            nameLabel={t('rules.attrName')}
            valueLabel={t('rules.attrValue')}
            addLabel={t('rules.addAttribute')}
            removeLabel={(name) => t('rules.removeAttribute', { name })}
            rows={rule.attributes}
            onChange={(attributes) => onChange({ ...rule, attributes })}
          />
        </>
      )}
    </fieldset>
  );
}

function Pairs(props: {
  title: string;
  nameLabel: string;
  valueLabel: string;
  addLabel: string;
  removeLabel: (name: string) => string;
  numeric?: boolean;
  rows: Pair[];
  onChange: (rows: Pair[]) => void;
}) {
  const { title, nameLabel, valueLabel, addLabel, removeLabel, numeric, rows, onChange } = props;
  const set = (i: number, p: Pair) => onChange(rows.map((r, j) => (j === i ? p : r)));
  return (
    <div className="pairs" role="group" aria-label={title}>
      <h5>{title}</h5>
      {rows.map((r, i) => (
        <div className="pair" key={r.key}>
          <label>
            <span>{nameLabel}</span> <input value={r.name} onChange={(e) => set(i, { ...r, name: e.target.value })} />
          </label>
          <label>
            <span>{valueLabel}</span>{' '}
            <input
              type={numeric ? 'number' : 'text'}
              min={numeric ? 1 : undefined}
              max={numeric ? 10 : undefined}
              value={r.value}
              onChange={(e) => set(i, { ...r, value: e.target.value })}
            />
          </label>
          <button type="button" className="link" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            {removeLabel(r.name || String(i + 1))}
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...rows, { key: pairKey(), name: '', value: numeric ? '1' : '' }])}>
        {addLabel}
      </button>
    </div>
  );
}

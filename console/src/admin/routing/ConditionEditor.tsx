// One condition of a rule, and (for all / any / not) the conditions inside it:
// a kind to choose, the kind's values, and the API's problem beside a regular expression.
import { useId } from 'react';
import type { MessageKey } from '../../i18n/dictionary';
import { useI18n } from '../../i18n/i18n';
import { blank, changeKind, CONDITION_KINDS, type Node } from './conditionModel';

interface Props {
  node: Node;
  onChange: (n: Node) => void;
  onRemove?: () => void;
  /** Levels above this one (the API allows 16 in all). */
  level: number;
  /** The condition a problem concerns, and the problem. */
  problem: { condition: number; detail: string } | null;
}

const MAX_DEPTH = 16;

export function ConditionEditor({ node, onChange, onRemove, level, problem }: Props) {
  const { t } = useI18n();
  const id = useId();
  const kindId = `${id}-kind`;
  const errorId = `${id}-error`;
  const error = problem && problem.condition === node.key ? problem.detail : null;
  const invalid = error ? ({ 'aria-invalid': true, 'aria-describedby': errorId } as const) : {};
  const group = node.kind === 'all' || node.kind === 'any' || node.kind === 'not';

  const values = () => {
    switch (node.kind) {
      case 'all':
      case 'any':
        return (
          <div className="cond-children">
            {node.children.length === 0 && <p className="help">{t('rules.emptyGroup')}</p>}
            {node.children.map((c, i) => (
              <ConditionEditor
                key={c.key}
                node={c}
                level={level + 1}
                problem={problem}
                onChange={(n) => onChange({ ...node, children: node.children.map((x, j) => (j === i ? n : x)) })}
                onRemove={() => onChange({ ...node, children: node.children.filter((_, j) => j !== i) })}
              />
            ))}
            {level + 1 < MAX_DEPTH ? (
              <button type="button" onClick={() => onChange({ ...node, children: [...node.children, blank('text_contains')] })}>
                {t('rules.addCondition')}
              </button>
            ) : (
              <p className="help">{t('rules.tooDeep')}</p>
            )}
          </div>
        );
      case 'not':
        return (
          <div className="cond-children">
            <ConditionEditor node={node.child} level={level + 1} problem={problem} onChange={(n) => onChange({ ...node, child: n })} />
          </div>
        );
      case 'always':
        return null;
      case 'returning_customer':
        return (
          <label className="cond-check">
            <input type="checkbox" checked={node.value} onChange={(e) => onChange({ ...node, value: e.target.checked })} /> {t('rules.returning')}
          </label>
        );
      case 'page':
        return <Input label={t('rules.pages')} value={node.pages} onChange={(v) => onChange({ ...node, pages: v })} />;
      case 'contact':
        return (
          <>
            <Input label={t('rules.field')} value={node.field} onChange={(v) => onChange({ ...node, field: v })} />
            <Input label={t('rules.equals')} value={node.equals} onChange={(v) => onChange({ ...node, equals: v })} />
          </>
        );
      case 'attribute':
        return (
          <>
            <Input label={t('rules.attrName')} value={node.name} onChange={(v) => onChange({ ...node, name: v })} />
            <Input label={t('rules.equals')} value={node.equals} onChange={(v) => onChange({ ...node, equals: v })} />
          </>
        );
      case 'time_of_day':
        return (
          <>
            <Input label={t('rules.from')} type="time" value={node.from} onChange={(v) => onChange({ ...node, from: v })} />
            <Input label={t('rules.to')} type="time" value={node.to} onChange={(v) => onChange({ ...node, to: v })} />
            <Input label={t('rules.timeZone')} value={node.time_zone} onChange={(v) => onChange({ ...node, time_zone: v })} />
          </>
        );
      default:
        return <Input label={t('rules.value')} value={node.value} onChange={(v) => onChange({ ...node, value: v })} extra={invalid} />;
    }
  };

  return (
    <div className={`cond${group ? ' cond-group' : ''}${error ? ' field-invalid' : ''}`} data-kind={node.kind}>
      <div className="cond-row">
        <label htmlFor={kindId} className="cond-kind-label">
          {t('rules.condition')}
        </label>
        <select id={kindId} value={node.kind} onChange={(e) => onChange(changeKind(node, e.target.value as Node['kind']))}>
          {CONDITION_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`rules.c.${k}` as MessageKey)}
            </option>
          ))}
        </select>
        {!group && values()}
        {onRemove && (
          <button type="button" className="link" onClick={onRemove}>
            {t('rules.removeCondition')}
          </button>
        )}
      </div>
      {error && (
        <p className="error field-error" id={errorId} role="alert">
          {error}
        </p>
      )}
      {group && values()}
    </div>
  );
}

function Input({
  label,
  value,
  onChange,
  type = 'text',
  extra = {},
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  type?: string;
  extra?: Record<string, unknown>;
}) {
  return (
    <label className="cond-value">
      <span>{label}</span> <input type={type} value={value} onChange={(e) => onChange(e.target.value)} {...extra} />
    </label>
  );
}

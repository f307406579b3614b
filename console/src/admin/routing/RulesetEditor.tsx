// The form for a new or an existing ruleset: id, name, kind and its rules.
// A failed save keeps everything typed and shows the API's detail beside
// the field, the rule or the condition it concerns.
import { useState } from 'react';
import type { Api } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import { Field } from '../form/Field';
import { errorFor, formProblem, type FormProblem } from '../form/formProblem';
import { SubmitButton } from '../form/SubmitButton';
import { RuleEditor } from './RuleEditor';
import { blankRule, kindAndRules, move, newRulesetBody, problemPlace, type Kind, type RulesetDraft } from './rulesetModel';

interface Props {
  api: Api;
  /** The draft to start from; `isNew` for a ruleset not saved yet. */
  initial: RulesetDraft;
  isNew: boolean;
  queues: AdminSchemas['Queue'][];
  onSaved: (r: AdminSchemas['Ruleset']) => void;
  onCancel: () => void;
}

const FIELDS = ['id', 'name', 'workstream', 'order'] as const;
const RULE_CODES = ['invalid_regex', 'invalid_rule', 'invalid_skill', 'unknown_queue'];

export function RulesetEditor({ api, initial, isNew, queues, onSaved, onCancel }: Props) {
  const { t } = useI18n();
  const [d, setD] = useState<RulesetDraft>(initial);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const place = problem && !problem.field ? problemPlace(problem.detail, d.rules) : null;
  const formError = problem && !problem.field && place?.rule === null ? problem.detail : null;

  const save = async () => {
    setBusy(true);
    setProblem(null);
    const r = isNew
      ? await api.admin.POST('/admin/v1/rulesets', { body: newRulesetBody(d) })
      : await api.admin.PATCH('/admin/v1/rulesets/{ruleset_id}', {
          params: { path: { ruleset_id: d.id } },
          body: { name: d.name, ...kindAndRules(d) },
        });
    setBusy(false);
    if (r.data) onSaved(r.data);
    else {
      const p = formProblem(r.error, FIELDS, t('rules.saveFailed'));
      // Problems with a rule name the rule; they go beside it, not beside a field of the same word.
      setProblem(p.code && RULE_CODES.includes(p.code) ? { ...p, field: null } : p);
    }
  };

  return (
    <form
      className="admin-section ruleset-editor"
      aria-labelledby="ruleset-editor-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2 id="ruleset-editor-title">{isNew ? t('rules.editorNew') : t('rules.editorEdit', { name: initial.name })}</h2>
      {isNew && (
        <Field label={t('rules.id')} hint={t('rules.idHint')} error={errorFor(problem, 'id')}>
          {(c) => <input {...c} value={d.id} autoComplete="off" onChange={(e) => setD({ ...d, id: e.target.value })} />}
        </Field>
      )}
      <Field label={t('rules.name')} error={errorFor(problem, 'name')}>
        {(c) => <input {...c} value={d.name} onChange={(e) => setD({ ...d, name: e.target.value })} />}
      </Field>
      {isNew ? (
        <Field label={t('rules.kind')} hint={t('rules.kindHint')}>
          {(c) => (
            <select {...c} value={d.kind} onChange={(e) => setD({ ...d, kind: e.target.value as Kind })}>
              <option value="classification">{t('rules.kind.classification')}</option>
              <option value="route_to_queue">{t('rules.kind.route_to_queue')}</option>
            </select>
          )}
        </Field>
      ) : (
        <p>
          {t('rules.kind')}: {t(`rules.kind.${d.kind}`)}
        </p>
      )}
      <h3>{t('rules.rules')}</h3>
      {d.rules.map((rule, i) => (
        <RuleEditor
          key={rule.key}
          rule={rule}
          n={i + 1}
          count={d.rules.length}
          kind={d.kind}
          queues={queues}
          problem={place && place.rule === rule.key && problem ? { condition: place.condition, detail: problem.detail } : null}
          onChange={(r) => setD({ ...d, rules: d.rules.map((x, j) => (j === i ? r : x)) })}
          onMove={(by) => setD({ ...d, rules: move(d.rules, i, by) })}
          onRemove={() => setD({ ...d, rules: d.rules.filter((_, j) => j !== i) })}
        />
      ))}
      <button type="button" onClick={() => setD({ ...d, rules: [...d.rules, blankRule()] })}>
        {t('rules.addRule')}
      </button>
      <ErrorLine>{formError}</ErrorLine>
      <div className="form-actions">
        <SubmitButton busy={busy} label={t('rules.save')} busyLabel={t('rules.saving')} primary />
        <button type="button" onClick={onCancel}>
          {t('rules.cancel')}
        </button>
      </div>
    </form>
  );
}

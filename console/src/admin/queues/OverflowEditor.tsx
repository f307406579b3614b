// The overflow rules: for each situation (out of hours, too many waiting,
// waited too long) what happens — transfer, end with a message, or queue anyway.
import { useI18n } from '../../i18n/i18n';
import type { MessageKey } from '../../i18n/dictionary';
import { Field } from '../form/Field';
import { QueueSelect } from '../form/QueueSelect';
import { RULES, type ActionKind, type OverflowModel, type Rule, type RuleModel } from './overflow';

interface Props {
  model: OverflowModel;
  onChange: (m: OverflowModel) => void;
  /** Other queues (transfer targets). */
  queues: { id: string; name: string }[];
  error: string | null;
}

const ACTIONS: readonly ActionKind[] = ['none', 'transfer', 'end', 'queue_anyway'];

export function OverflowEditor({ model, onChange, queues, error }: Props) {
  const { t } = useI18n();
  const set = (r: Rule, patch: Partial<RuleModel>) => onChange({ ...model, [r]: { ...model[r], ...patch } });
  return (
    <section className="admin-section" aria-labelledby="queues-s-overflow">
      <h2 id="queues-s-overflow">{t('queues.s.overflow')}</h2>
      <p className="help">{t('queues.overflowHint')}</p>
      {RULES.map((r) => {
        const m = model[r];
        return (
          <fieldset key={r} className="queues-rule">
            <legend>{t(`queues.rule.${r}` as MessageKey)}</legend>
            {r !== 'out_of_hours' && m.action !== 'none' && (
              <Field label={t(`queues.limit.${r}` as MessageKey)} error={null}>
                {(c) => <input {...c} inputMode="numeric" value={m.limit} onChange={(e) => set(r, { limit: e.target.value })} />}
              </Field>
            )}
            <Field label={t('queues.action')} error={null}>
              {(c) => (
                <select {...c} value={m.action} onChange={(e) => set(r, { action: e.target.value as ActionKind })}>
                  {ACTIONS.map((a) => (
                    <option key={a} value={a}>
                      {t(`queues.action.${a}` as MessageKey)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {m.action === 'transfer' && (
              <Field label={t('queues.transferTo')} error={null}>
                {(c) => <QueueSelect control={c} queues={queues} value={m.queue} none={t('queues.choose')} onChange={(q) => set(r, { queue: q })} />}
              </Field>
            )}
            {m.action === 'end' && (
              <Field label={t('queues.endMessage')} error={null}>
                {(c) => <input {...c} value={m.message} onChange={(e) => set(r, { message: e.target.value })} />}
              </Field>
            )}
          </fieldset>
        );
      })}
      {error && (
        <p className="error field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

// A workstream's rulesets in the order they run, with buttons to edit, move
// (up and down, from the keyboard too) and delete each.
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';

interface Props {
  rulesets: AdminSchemas['Ruleset'][];
  busy: boolean;
  onEdit: (r: AdminSchemas['Ruleset']) => void;
  onMove: (i: number, by: -1 | 1) => void;
  onDelete: (r: AdminSchemas['Ruleset']) => void;
}

export function RulesetList({ rulesets, busy, onEdit, onMove, onDelete }: Props) {
  const { t } = useI18n();
  if (rulesets.length === 0) return <p>{t('rules.none')}</p>;
  return (
    <table className="rulesets">
      <caption className="visually-hidden">{t('rules.rulesets')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('rules.order')}</th>
          <th scope="col">{t('rules.name')}</th>
          <th scope="col">{t('rules.kind')}</th>
          <th scope="col">{t('rules.count')}</th>
          <th scope="col">{t('rules.actions')}</th>
        </tr>
      </thead>
      <tbody>
        {rulesets.map((r, i) => (
          <tr key={r.id}>
            <td>{i + 1}</td>
            <th scope="row">
              {r.name} <span className="muted">({r.id})</span>
            </th>
            <td>{t(`rules.kind.${r.kind}`)}</td>
            <td>{r.rules.length}</td>
            <td className="ruleset-actions">
              <button type="button" aria-label={t('rules.editNamed', { name: r.name })} onClick={() => onEdit(r)}>
                {t('rules.edit')}
              </button>
              <button type="button" aria-label={t('rules.moveUpNamed', { name: r.name })} disabled={busy || i === 0} onClick={() => onMove(i, -1)}>
                {t('rules.moveUp')}
              </button>
              <button
                type="button"
                aria-label={t('rules.moveDownNamed', { name: r.name })}
                disabled={busy || i === rulesets.length - 1}
                onClick={() => onMove(i, 1)}
              >
                {t('rules.moveDown')}
              </button>
              <button type="button" className="danger" aria-label={t('rules.deleteNamed', { name: r.name })} onClick={() => onDelete(r)}>
                {t('rules.delete')}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

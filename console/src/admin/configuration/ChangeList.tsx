// The changes of a dry run or an apply, grouped as created, changed and
// removed, each with the kind of resource it concerns; "no changes" when empty.
import { useI18n } from '../../i18n/i18n';
import { groupChanges } from './changes';

export function ChangeList({ changes, none }: { changes: readonly string[]; none: string }) {
  const { t } = useI18n();
  const groups = groupChanges(changes);
  if (groups.length === 0) return <p className="config-no-changes">{none}</p>;
  return (
    <div className="config-changes">
      <p>{t('config.changeCount', { count: changes.length })}</p>
      {groups.map((g) => (
        <section key={g.action} className={`config-group config-${g.action}`} aria-labelledby={`config-group-${g.action}`}>
          <h3 id={`config-group-${g.action}`}>
            {t(`config.${g.action}`)} ({g.items.length})
          </h3>
          <ul>
            {g.items.map((c, i) => (
              <li key={`${i}-${c.text}`}>
                <span className="config-kind">{t(`config.kind.${c.kind}`)}</span> <span className="config-change">{c.text}</span>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

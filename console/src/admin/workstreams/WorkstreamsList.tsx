// The table of workstreams: name, id, language, pages and distribution mode.
import { useI18n } from '../../i18n/i18n';
import type { Workstream } from './draft';

export function WorkstreamsList({ workstreams, onEdit }: { workstreams: Workstream[]; onEdit: (id: string) => void }) {
  const { t } = useI18n();
  if (workstreams.length === 0) return <p>{t('ws.empty')}</p>;
  return (
    <table className="ws-list">
      <caption className="visually-hidden">{t('ws.title')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('ws.col.name')}</th>
          <th scope="col">{t('ws.col.id')}</th>
          <th scope="col">{t('ws.col.locale')}</th>
          <th scope="col">{t('ws.col.pages')}</th>
          <th scope="col">{t('ws.col.mode')}</th>
          <th scope="col">{t('ws.col.actions')}</th>
        </tr>
      </thead>
      <tbody>
        {workstreams.map((w) => (
          <tr key={w.id}>
            <th scope="row">{w.name}</th>
            <td>
              <code>{w.id}</code>
            </td>
            <td>{w.locale}</td>
            <td>{w.pages.join(', ')}</td>
            <td>{t(w.distribution.mode === 'pick' ? 'ws.mode.pick' : 'ws.mode.push')}</td>
            <td>
              <button type="button" onClick={() => onEdit(w.id)}>
                {t('ws.edit', { name: w.name })}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// Section 1 of the workstream editor: the pages whose conversations it takes,
// from every account; a page another workstream has is shown as taken.
import { useI18n } from '../../i18n/i18n';
import type { AdminSchemas } from '../../api/types';

export interface PageOption {
  page: AdminSchemas['Page'];
  accountName: string;
  /** The other workstream that has it, if any. */
  takenBy: string | null;
}

interface Props {
  options: PageOption[];
  selected: string[];
  onChange: (pages: string[]) => void;
  error: string | null;
}

export function PagesPicker({ options, selected, onChange, error }: Props) {
  const { t } = useI18n();
  const toggle = (id: string, on: boolean) => onChange(on ? [...selected, id] : selected.filter((p) => p !== id));
  return (
    <fieldset className={`ws-pages${error ? ' field-invalid' : ''}`} aria-describedby="ws-pages-hint">
      <legend>{t('ws.s.pages')}</legend>
      <p className="help" id="ws-pages-hint">
        {t('ws.pagesHint')}
      </p>
      {options.length === 0 && <p>{t('ws.noPages')}</p>}
      <ul>
        {options.map(({ page, accountName, takenBy }) => {
          const id = `ws-page-${page.page_id}`;
          const on = selected.includes(page.page_id);
          return (
            <li key={page.page_id}>
              <input id={id} type="checkbox" checked={on} onChange={(e) => toggle(page.page_id, e.target.checked)} />
              <label htmlFor={id}>
                {page.name} ({page.page_id}) · {accountName}
                {takenBy && !on && <span className="ws-taken"> · {t('ws.pageFeeds', { name: takenBy })}</span>}
              </label>
            </li>
          );
        })}
      </ul>
      {error && (
        <p className="error field-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

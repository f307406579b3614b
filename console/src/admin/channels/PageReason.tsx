// Why a page is not simply running: Meta's reason with its code and subcode,
// and what to do (an error, a warning on a running page, waiting for Meta, or a draft never checked).
import { useI18n } from '../../i18n/i18n';
import { displayState } from './StateBadge';
import type { Page } from './useChannels';

export function PageReason({ page }: { page: Page }) {
  const { t } = useI18n();
  const p = page.provisioning;
  const s = displayState(page);
  if (s === 'draft') return <p className="page-reason page-reason-draft help">{t('channels.draftTodo')}</p>;
  if (!p.reason || !['error', 'warning', 'provisioning'].includes(s)) return null;
  const todo = s === 'error' ? t('channels.errorTodo') : s === 'warning' ? t('channels.warningTodo') : t('channels.provisioningTodo');
  return (
    <div className={`page-reason page-reason-${s}`}>
      <p className="reason">
        {p.reason}
        {p.code !== undefined && (
          <span className="meta-code">
            {' '}
            ({t('channels.metaCode', { code: p.code })}
            {p.subcode !== undefined && `, ${t('channels.metaSubcode', { subcode: p.subcode })}`})
          </span>
        )}
      </p>
      <p className="todo">{todo}</p>
    </div>
  );
}

// A page's provisioning state as a badge; a running page with a reason is running with a warning.
import type { MessageKey } from '../../i18n/dictionary';
import { useI18n } from '../../i18n/i18n';
import type { Page } from './useChannels';

export function displayState(p: Page): string {
  const s = p.provisioning.state;
  return s === 'running' && p.provisioning.reason ? 'warning' : s;
}

export function StateBadge({ page }: { page: Page }) {
  const { t } = useI18n();
  const s = displayState(page);
  return (
    <span className={`state state-${s}`} data-state={s}>
      {t(`channels.state.${s}` as MessageKey)}
    </span>
  );
}

// What an apply did: its changes, the verify tokens of new accounts (shown
// this once, with copy buttons) and the pages that did not reach running.
import { useI18n } from '../../i18n/i18n';
import { CopyButton } from '../form/CopyButton';
import type { AdminPaths } from '../../api/types';
import { ChangeList } from './ChangeList';

export type ApplyReport = AdminPaths['/admin/v1/apply']['post']['responses'][200]['content']['application/json'];

export function ApplyReportView({ report, name }: { report: ApplyReport; name: string }) {
  const { t } = useI18n();
  const tokens = Object.entries(report.verify_tokens ?? {});
  const notRunning = report.not_running ?? [];
  return (
    <section className="config-report" aria-labelledby="config-report-title">
      <h2 id="config-report-title">{t('config.reportTitle', { name })}</h2>
      <ChangeList changes={report.changes} none={t('config.reportNone')} />
      {tokens.length > 0 && (
        <div className="config-verify">
          <h3>{t('config.verifyTitle')}</h3>
          <p className="help">{t('config.verifyHint')}</p>
          <ul>
            {tokens.map(([account, token]) => (
              <li key={account}>
                <span>{account}: </span>
                <code>{token}</code> <CopyButton value={token} what={t('config.verifyToken', { account })} />
              </li>
            ))}
          </ul>
        </div>
      )}
      {notRunning.length > 0 && (
        <div className="config-not-running">
          <h3>{t('config.notRunning')}</h3>
          <ul>
            {notRunning.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

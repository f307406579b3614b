// Why a file was refused: the API's problem detail, with the line and column
// or the value it concerns when the API names them, and (for a dry run) that
// nothing changed.
import { useI18n } from '../../i18n/i18n';
import { problemText } from '../../api/client';
import type { AdminSchemas } from '../../api/types';

type Problem = AdminSchemas['Problem'];

function asProblem(error: unknown): Partial<Problem> {
  return error && typeof error === 'object' ? (error as Partial<Problem>) : {};
}

export function ApplyProblem({ error, nothingChanged }: { error: unknown; nothingChanged: boolean }) {
  const { t } = useI18n();
  const p = asProblem(error);
  return (
    <div className="error config-problem" role="alert">
      <p>{t('config.problem', { detail: problemText(error, t('config.unreadable')) })}</p>
      {typeof p.line === 'number' && <p>{t('config.problemAt', { line: p.line, column: p.column ?? 1 })}</p>}
      {typeof p.field === 'string' && <p>{t('config.problemField', { field: p.field })}</p>}
      {nothingChanged && <p>{t('config.nothingApplied')}</p>}
    </div>
  );
}

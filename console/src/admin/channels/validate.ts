// The checks the admin API makes on accounts and pages, made before sending
// so the administrator hears at once (the API's own answer still shows beside the field).
import type { FormProblem } from '../form/formProblem';
import type { Translate } from '../../i18n/i18n';

export type Rule = 'name' | 'digits' | 'secret';

/** The first field that fails, as a problem shown beside it; null when all pass. */
export function validate(t: Translate, values: Record<string, string>, rules: Record<string, { rule: Rule; label: string }>): FormProblem | null {
  for (const [field, { rule, label }] of Object.entries(rules)) {
    const v = values[field] ?? '';
    if (v.trim() === '') return { field, detail: t('channels.required', { what: label }), code: `invalid_${field}` };
    if (rule === 'digits' && !/^[0-9]{1,32}$/.test(v.trim())) return { field, detail: t('channels.digits', { what: label }), code: `invalid_${field}` };
    if (rule === 'name' && v.trim().length > 200) return { field, detail: t('channels.tooLong', { what: label }), code: `invalid_${field}` };
  }
  return null;
}

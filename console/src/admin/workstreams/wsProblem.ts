// Which editor field a failed save concerns: formProblem over the editor's
// fields, with the survey told apart from the automated messages (the API
// reports both as invalid_messages).
import { formProblem, type FormProblem } from '../form/formProblem';
import { WS_FIELDS } from './draft';

export function wsProblem(error: unknown, fallback: string): FormProblem {
  const p = formProblem(error, WS_FIELDS, fallback);
  if (p.code === 'invalid_messages' && /survey/.test(p.detail)) return { ...p, field: 'survey' };
  if (p.field === 'page') return { ...p, field: 'pages' };
  if (p.field === 'units') return { ...p, field: 'capacity' };
  return p;
}
